package dev.vlmo.datasets;

import dev.vlmo.datasets.image.RgbImage;
import java.io.IOException;

/**
 * A lazily loaded image: a file, bytes in a shard or table, or a rendered synthetic scene. Loading
 * happens in the loader's worker threads.
 */
public interface ImageRef {

    /**
     * Decodes or renders the image as upright 8-bit RGB.
     *
     * @return the image, never {@code null}
     * @throws IOException when the image is missing or cannot be decoded
     */
    RgbImage load() throws IOException;

    /**
     * Names the image for error messages (a path, a shard and key, a table row).
     *
     * @return a human-readable location
     */
    String name();

    /**
     * Returns a reference to an image file, decoded with {@link
     * dev.vlmo.datasets.image.ImageDecoder}.
     *
     * @param file the file
     * @return the reference, named by the path
     */
    static ImageRef file(java.nio.file.Path file) {
        return new ImageRef() {
            @Override
            public RgbImage load() throws IOException {
                return dev.vlmo.datasets.image.ImageDecoder.decode(file);
            }

            @Override
            public String name() {
                return file.toString();
            }
        };
    }

    /**
     * Returns a reference to encoded image bytes (from a shard or a table).
     *
     * @param bytes the encoded image
     * @param name where the bytes came from
     * @return the reference
     */
    static ImageRef bytes(byte[] bytes, String name) {
        return new ImageRef() {
            @Override
            public RgbImage load() throws IOException {
                return dev.vlmo.datasets.image.ImageDecoder.decode(bytes, name);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
