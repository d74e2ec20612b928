package dev.vlmo.datasets.synthetic;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A synthetic scene: objects in distinct cells of a 3x3 grid over a dark background.
 *
 * @param objects the objects, ordered by cell
 * @param background the background shade, {@code 0xRRGGBB}
 */
public record Scene(List<SceneObject> objects, int background) {
    /** Copies the object list. */
    public Scene {
        objects = List.copyOf(objects);
    }

    /**
     * Returns the scene identity: two scenes with the same signature show the same objects in the
     * same cells (only jitter and shade differ); splits never share a signature.
     *
     * @return the canonical description of the objects
     */
    public String signature() {
        return objects.stream().map(SceneObject::key).collect(Collectors.joining("|"));
    }

    /**
     * Returns the number of objects.
     *
     * @return the count
     */
    public int count() {
        return objects.size();
    }

    /**
     * Counts objects of a shape.
     *
     * @param shape the shape
     * @return how many objects have it
     */
    public int count(Shape shape) {
        return (int) objects.stream().filter(o -> o.shape() == shape).count();
    }

    /**
     * Counts objects of a colour.
     *
     * @param colour the colour
     * @return how many objects have it
     */
    public int count(Colour colour) {
        return (int) objects.stream().filter(o -> o.colour() == colour).count();
    }

    /**
     * Counts objects of a colour and shape.
     *
     * @param colour the colour
     * @param shape the shape
     * @return how many objects have both
     */
    public int count(Colour colour, Shape shape) {
        return (int)
                objects.stream().filter(o -> o.colour() == colour && o.shape() == shape).count();
    }
}
