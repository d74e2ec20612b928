package dev.vlmo.datasets;

import java.util.Objects;

/**
 * One caption of one image: the unit of image-text pretraining and retrieval.
 *
 * @param image the image
 * @param text the caption
 * @param imageId the index of the image within its dataset; captions of the same image share it
 */
public record ImageText(ImageRef image, String text, int imageId) {
    /** Checks that the image and text are present. */
    public ImageText {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(text, "text");
    }
}
