package dev.vlmo.datasets.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * CMYK and YCCK JPEGs (as Photoshop writes them: four components and an Adobe APP14 marker) made in
 * the test and decoded through {@link ImageDecoder}. The JDK's JPEG writer encodes a four-band
 * raster's samples as they are, without colour conversion; the test stores them the way Adobe does
 * (inverted CMYK for transform 0, YCC of the inks plus inverted K for transform 2) and adds the
 * APP14 marker itself.
 */
class CmykJpegTest {
    /** Quadrants of a 16x16 image: top left, top right, bottom left, bottom right. */
    private static final int[][] CMYK = {
        {0, 255, 255, 0}, // red
        {255, 0, 255, 0}, // green
        {255, 255, 0, 0}, // blue
        {0, 0, 0, 128}, // mid grey through black ink only
    };

    private static final int[][] RGB = {
        {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {127, 127, 127},
    };

    private static final int SIZE = 16;

    private static int quadrant(int x, int y) {
        return (y < SIZE / 2 ? 0 : 2) + (x < SIZE / 2 ? 0 : 1);
    }

    /**
     * Encodes {@link #CMYK} as a four-component JPEG with an Adobe APP14 marker.
     *
     * @param transform 0 for CMYK, 2 for YCCK
     */
    static byte[] adobeJpeg(int transform) throws IOException {
        WritableRaster r =
                Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, SIZE, SIZE, 4, null);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int[] ink = CMYK[quadrant(x, y)];
                int[] s = {255 - ink[0], 255 - ink[1], 255 - ink[2], 255 - ink[3]};
                if (transform == 2) {
                    double c = ink[0];
                    double m = ink[1];
                    double yl = ink[2];
                    s[0] = clamp(0.299 * c + 0.587 * m + 0.114 * yl);
                    s[1] = clamp(128 - 0.168736 * c - 0.331264 * m + 0.5 * yl);
                    s[2] = clamp(128 + 0.5 * c - 0.418688 * m - 0.081312 * yl);
                }
                for (int b = 0; b < 4; b++) {
                    r.setSample(x, y, b, s[b]);
                }
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        assertTrue(writer.canWriteRasters(), writer + " cannot write rasters");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(1f);
            writer.write(null, new IIOImage(r, null, null), p);
        } finally {
            writer.dispose();
        }
        byte[] plain = out.toByteArray();
        byte[] app14 = {
            (byte) 0xFF,
            (byte) 0xEE,
            0,
            14,
            'A',
            'd',
            'o',
            'b',
            'e',
            0,
            100,
            0,
            0,
            0,
            0,
            (byte) transform
        };
        byte[] jpeg = new byte[plain.length + app14.length];
        System.arraycopy(plain, 0, jpeg, 0, 2);
        System.arraycopy(app14, 0, jpeg, 2, app14.length);
        System.arraycopy(plain, 2, jpeg, 2 + app14.length, plain.length - 2);
        return jpeg;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** Returns the number of components in the JPEG's start-of-frame segment. */
    static int frameComponents(byte[] jpeg) {
        for (int i = 2; i + 9 < jpeg.length; ) {
            if ((jpeg[i] & 0xFF) != 0xFF) {
                throw new AssertionError("no marker at " + i);
            }
            int marker = jpeg[i + 1] & 0xFF;
            int len = ((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF);
            if (marker >= 0xC0 && marker <= 0xC3) {
                return jpeg[i + 9] & 0xFF;
            }
            i += 2 + len;
        }
        throw new AssertionError("no SOF marker");
    }

    private static void assertColours(RgbImage img, String what) {
        assertEquals(SIZE, img.width(), what);
        assertEquals(SIZE, img.height(), what);
        int[][] at = {{4, 4}, {12, 4}, {4, 12}, {12, 12}};
        for (int q = 0; q < 4; q++) {
            for (int c = 0; c < 3; c++) {
                int got = img.get(at[q][0], at[q][1], c);
                assertTrue(
                        Math.abs(got - RGB[q][c]) <= 12,
                        what
                                + " quadrant "
                                + q
                                + " channel "
                                + c
                                + ": expected about "
                                + RGB[q][c]
                                + ", got "
                                + got);
            }
        }
    }

    @Test
    void cmykJpegsDecodeToTheirRgbColours() throws Exception {
        byte[] jpeg = adobeJpeg(0);
        assertEquals(4, frameComponents(jpeg), "a four-component (CMYK) JPEG");
        assertTrue(
                new String(jpeg, 0, 32, StandardCharsets.ISO_8859_1).contains("Adobe"),
                "carries the Adobe marker");
        assertTrue(jpeg.length < 5_000, "tiny fixture: " + jpeg.length + " bytes");
        assertColours(ImageDecoder.decode(jpeg, "cmyk.jpg"), "CMYK");
    }

    @Test
    void ycckJpegsDecodeToTheirRgbColours() throws Exception {
        byte[] jpeg = adobeJpeg(2);
        assertEquals(4, frameComponents(jpeg), "a four-component (YCCK) JPEG");
        assertColours(ImageDecoder.decode(jpeg, "ycck.jpg"), "YCCK");
    }

    @Test
    void cmykAndYcckEncodingsOfOneImageAgree() throws Exception {
        RgbImage cmyk = ImageDecoder.decode(adobeJpeg(0), "cmyk.jpg");
        RgbImage ycck = ImageDecoder.decode(adobeJpeg(2), "ycck.jpg");
        for (int y = 0; y < SIZE; y += 3) {
            for (int x = 0; x < SIZE; x += 3) {
                for (int c = 0; c < 3; c++) {
                    assertTrue(
                            Math.abs(cmyk.get(x, y, c) - ycck.get(x, y, c)) <= 16,
                            "pixel " + x + "," + y + " channel " + c);
                }
            }
        }
    }
}
