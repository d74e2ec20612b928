package dev.vlmo.datasets.synthetic;

/**
 * One object of a scene.
 *
 * @param shape the shape
 * @param colour the colour category
 * @param size the size category
 * @param cell the grid cell holding the object
 * @param cx the centre's x as a fraction of the image width
 * @param cy the centre's y as a fraction of the image height
 * @param rgb the jittered shade actually drawn, {@code 0xRRGGBB}
 */
public record SceneObject(
        Shape shape, Colour colour, Size size, Cell cell, double cx, double cy, int rgb) {

    /**
     * Returns the canonical description used for scene identity.
     *
     * @return {@code "cell:colour:size:shape"}
     */
    public String key() {
        return cell + ":" + colour + ":" + size + ":" + shape;
    }
}
