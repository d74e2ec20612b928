package dev.vlmo.datasets;

import java.util.Objects;

/**
 * An image with a class label (image-only data; the label is ignored by masked image modelling).
 *
 * @param image the image
 * @param label the class index
 */
public record LabeledImage(ImageRef image, int label) {
    /** Checks that the image is present. */
    public LabeledImage {
        Objects.requireNonNull(image, "image");
    }
}
