package dev.vlmo.datasets.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "no writer for " + format);
        return out.toByteArray();
    }

    /** A 20x10 image: left half red, right half blue. */
    private static BufferedImage halves() {
        BufferedImage img = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 20; x++) {
                img.setRGB(x, y, x < 10 ? 0xFF0000 : 0x0000FF);
            }
        }
        return img;
    }

    /** Inserts an EXIF APP1 segment with an orientation tag after the JPEG's SOI marker. */
    private static byte[] withOrientation(byte[] jpeg, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(26).order(ByteOrder.LITTLE_ENDIAN);
        tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1); // one entry
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);
        tiff.putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] exif = new byte[6 + 26];
        System.arraycopy(
                "Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
        System.arraycopy(tiff.array(), 0, exif, 6, 26);
        int len = exif.length + 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE1);
        out.write(len >> 8);
        out.write(len & 0xFF);
        out.write(exif, 0, exif.length);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    @Test
    void exifOrientationTurnsJpegsUpright() throws Exception {
        byte[] jpeg = encode(halves(), "jpg");
        assertEquals(1, ImageDecoder.exifOrientation(jpeg));
        RgbImage plain = ImageDecoder.decode(jpeg, "plain.jpg");
        assertEquals(20, plain.width());
        byte[] rotated = withOrientation(jpeg, 6);
        assertEquals(6, ImageDecoder.exifOrientation(rotated));
        RgbImage upright = ImageDecoder.decode(rotated, "rotated.jpg");
        // Orientation 6: the stored image is shown rotated 90 degrees clockwise, so the left
        // (red) half ends up on top.
        assertEquals(10, upright.width());
        assertEquals(20, upright.height());
        assertTrue(upright.get(5, 2, 0) > 200 && upright.get(5, 2, 2) < 60, "top is red");
        assertTrue(upright.get(5, 17, 2) > 200 && upright.get(5, 17, 0) < 60, "bottom is blue");
        RgbImage mirrored = ImageDecoder.decode(withOrientation(jpeg, 2), "mirrored.jpg");
        assertTrue(mirrored.get(2, 5, 2) > 200, "orientation 2 mirrors: blue on the left");
    }

    @Test
    void greyAndAlphaBecomeRgbLikePil() throws Exception {
        BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(1, 1, 0, 77);
        RgbImage g = ImageDecoder.decode(encode(grey, "png"), "grey.png");
        assertEquals(77, g.get(1, 1, 0), "grey is replicated, not gamma-converted");
        assertEquals(77, g.get(1, 1, 2));
        BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(2, 2, 0x00336699); // fully transparent
        RgbImage a = ImageDecoder.decode(encode(argb, "png"), "alpha.png");
        assertEquals(0x33, a.get(2, 2, 0), "alpha is dropped, colour kept");
        assertEquals(0x99, a.get(2, 2, 2));
    }

    @Test
    void corruptAndEmptyFilesNameTheFile() throws Exception {
        byte[] jpeg = encode(halves(), "jpg");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> ImageDecoder.decode(Arrays.copyOf(jpeg, 40), "cut.jpg"));
        assertTrue(e.getMessage().contains("cut.jpg"), e.getMessage());
        assertTrue(
                assertThrows(IOException.class, () -> ImageDecoder.decode(new byte[0], "empty.jpg"))
                        .getMessage()
                        .contains("empty.jpg"));
        assertTrue(
                assertThrows(
                                IOException.class,
                                () -> ImageDecoder.decode("text".getBytes(), "notes.txt"))
                        .getMessage()
                        .contains("notes.txt"));
        assertTrue(
                assertThrows(
                                IOException.class,
                                () ->
                                        ImageDecoder.decode(
                                                java.nio.file.Path.of("/nonexistent/x.jpg")))
                        .getMessage()
                        .contains("/nonexistent/x.jpg"));
    }
}
