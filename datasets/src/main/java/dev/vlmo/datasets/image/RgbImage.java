package dev.vlmo.datasets.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;

/**
 * An 8-bit RGB image stored row-major as interleaved bytes ({@code H x W x 3}); the working format
 * of the transforms.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] data;

    /**
     * Wraps interleaved RGB bytes.
     *
     * @param width the width in pixels
     * @param height the height in pixels
     * @param data {@code width * height * 3} bytes, row-major, R G B per pixel
     */
    public RgbImage(int width, int height, byte[] data) {
        if (width <= 0 || height <= 0 || data.length != width * height * 3) {
            throw new IllegalArgumentException(
                    "an RGB image of "
                            + width
                            + "x"
                            + height
                            + " needs "
                            + (width * height * 3)
                            + " bytes, got "
                            + data.length);
        }
        this.width = width;
        this.height = height;
        this.data = data;
    }

    /**
     * Returns a black image.
     *
     * @param width the width
     * @param height the height
     * @return a new image
     */
    public static RgbImage blank(int width, int height) {
        return new RgbImage(width, height, new byte[width * height * 3]);
    }

    /**
     * Converts a decoded image to RGB: grey is replicated, alpha is dropped (as PIL's {@code
     * convert("RGB")} does), colour models are converted to sRGB.
     *
     * @param image any image
     * @return the RGB image
     */
    public static RgbImage of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        int type = image.getType();
        Raster raster = image.getRaster();
        if (type == BufferedImage.TYPE_INT_RGB || type == BufferedImage.TYPE_INT_ARGB) {
            if (raster.getDataBuffer() instanceof DataBufferInt db
                    && raster.getSampleModelTranslateX() == 0
                    && raster.getSampleModelTranslateY() == 0
                    && db.getNumBanks() == 1
                    && db.getSize() == w * h) {
                int[] px = db.getData();
                for (int i = 0; i < w * h; i++) {
                    int p = px[i];
                    out[3 * i] = (byte) (p >> 16);
                    out[3 * i + 1] = (byte) (p >> 8);
                    out[3 * i + 2] = (byte) p;
                }
                return new RgbImage(w, h, out);
            }
        }
        if (type == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof DataBufferByte db
                && db.getSize() == w * h * 3
                && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0) {
            byte[] px = db.getData();
            for (int i = 0; i < w * h; i++) {
                out[3 * i] = px[3 * i + 2];
                out[3 * i + 1] = px[3 * i + 1];
                out[3 * i + 2] = px[3 * i];
            }
            return new RgbImage(w, h, out);
        }
        int bands = raster.getNumBands();
        boolean grey =
                image.getColorModel().getColorSpace().getType()
                        == java.awt.color.ColorSpace.TYPE_GRAY;
        if (grey && bands <= 2 && image.getColorModel().getComponentSize(0) <= 16) {
            int bits = image.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v =
                            bits == 8
                                    ? row[x]
                                    : (int) Math.round(row[x] * 255.0 / ((1 << bits) - 1));
                    int i = 3 * (y * w + x);
                    out[i] = out[i + 1] = out[i + 2] = (byte) v;
                }
            }
            return new RgbImage(w, h, out);
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int i = 3 * (y * w + x);
                out[i] = (byte) (p >> 16);
                out[i + 1] = (byte) (p >> 8);
                out[i + 2] = (byte) p;
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Returns the width.
     *
     * @return the width in pixels
     */
    public int width() {
        return width;
    }

    /**
     * Returns the height.
     *
     * @return the height in pixels
     */
    public int height() {
        return height;
    }

    /**
     * Returns the backing bytes (not a copy).
     *
     * @return {@code H x W x 3} interleaved RGB bytes
     */
    public byte[] data() {
        return data;
    }

    /**
     * Returns one channel value.
     *
     * @param x the column
     * @param y the row
     * @param c the channel (0 red, 1 green, 2 blue)
     * @return the value from 0 to 255
     */
    public int get(int x, int y, int c) {
        return data[3 * (y * width + x) + c] & 0xFF;
    }

    /**
     * Converts to a {@code TYPE_INT_RGB} image.
     *
     * @return a new buffered image
     */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < width * height; i++) {
            px[i] =
                    ((data[3 * i] & 0xFF) << 16)
                            | ((data[3 * i + 1] & 0xFF) << 8)
                            | (data[3 * i + 2] & 0xFF);
        }
        return img;
    }

    /**
     * Returns the image flipped left to right.
     *
     * @return a new image
     */
    public RgbImage flipHorizontal() {
        byte[] out = new byte[data.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int s = 3 * (y * width + x);
                int d = 3 * (y * width + (width - 1 - x));
                out[d] = data[s];
                out[d + 1] = data[s + 1];
                out[d + 2] = data[s + 2];
            }
        }
        return new RgbImage(width, height, out);
    }

    /**
     * Applies an EXIF orientation so that the image displays upright.
     *
     * @param orientation the EXIF orientation tag, 1 to 8 (other values leave the image as is)
     * @return the upright image
     */
    public RgbImage orient(int orientation) {
        if (orientation < 2 || orientation > 8) {
            return this;
        }
        boolean swap = orientation >= 5;
        int ow = swap ? height : width;
        int oh = swap ? width : height;
        byte[] out = new byte[data.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> {
                        sx = width - 1 - x;
                        sy = y;
                    }
                    case 3 -> {
                        sx = width - 1 - x;
                        sy = height - 1 - y;
                    }
                    case 4 -> {
                        sx = x;
                        sy = height - 1 - y;
                    }
                    case 5 -> {
                        sx = y;
                        sy = x;
                    }
                    case 6 -> {
                        sx = y;
                        sy = height - 1 - x;
                    }
                    case 7 -> {
                        sx = width - 1 - y;
                        sy = height - 1 - x;
                    }
                    default -> {
                        sx = width - 1 - y;
                        sy = x;
                    }
                }
                int s = 3 * (sy * width + sx);
                int d = 3 * (y * ow + x);
                out[d] = data[s];
                out[d + 1] = data[s + 1];
                out[d + 2] = data[s + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }

    /**
     * Converts to normalised float CHW: {@code (v / 255 - mean) / std} per channel.
     *
     * @param mean the mean (0.5 in VLMo)
     * @param std the standard deviation (0.5 in VLMo)
     * @param out an array of at least {@code 3 * H * W} floats, written from {@code offset}
     * @param offset where to start writing
     */
    public void toChw(float mean, float std, float[] out, int offset) {
        int plane = width * height;
        float scale = 1f / (255f * std);
        float shift = mean / std;
        for (int i = 0; i < plane; i++) {
            out[offset + i] = (data[3 * i] & 0xFF) * scale - shift;
            out[offset + plane + i] = (data[3 * i + 1] & 0xFF) * scale - shift;
            out[offset + 2 * plane + i] = (data[3 * i + 2] & 0xFF) * scale - shift;
        }
    }
}
