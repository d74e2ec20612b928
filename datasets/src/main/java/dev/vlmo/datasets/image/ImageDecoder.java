package dev.vlmo.datasets.image;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files and bytes to RGB with ImageIO and the TwelveMonkeys JPEG plugin (CMYK and
 * YCCK JPEGs, broken markers), replicating grey, dropping alpha and applying the EXIF orientation
 * of JPEGs so that images come out upright.
 */
public final class ImageDecoder {
    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private ImageDecoder() {}

    /**
     * Decodes a file.
     *
     * @param file the image file
     * @return the upright RGB image
     * @throws IOException when the file is missing or not a decodable image
     */
    public static RgbImage decode(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("image file not found: " + file, e);
        }
        return decode(bytes, file.toString());
    }

    /**
     * Decodes encoded image bytes.
     *
     * @param bytes the encoded image (JPEG, PNG, BMP, GIF...)
     * @param name the source, for error messages
     * @return the upright RGB image
     * @throws IOException when the bytes are not a decodable image
     */
    public static RgbImage decode(byte[] bytes, String name) throws IOException {
        BufferedImage img = read(bytes, name);
        RgbImage rgb = RgbImage.of(img);
        if (isJpeg(bytes)) {
            rgb = rgb.orient(exifOrientation(bytes));
        }
        return rgb;
    }

    /**
     * Decodes bytes to a buffered image without orientation or colour conversion.
     *
     * @param bytes the encoded image
     * @param name the source, for error messages
     * @return the decoded image
     * @throws IOException when the bytes are not a decodable image
     */
    public static BufferedImage read(byte[] bytes, String name) throws IOException {
        if (bytes.length == 0) {
            throw new IOException("empty image file: " + name);
        }
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException(
                        "not a supported image format (JPEG, PNG, BMP, GIF): " + name);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new IOException("no image in " + name);
                }
                return img;
            } catch (RuntimeException e) {
                throw new IOException("corrupt image " + name + ": " + e, e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(name)) {
                throw e;
            }
            throw new IOException("corrupt image " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the EXIF orientation tag of a JPEG.
     *
     * @param jpeg the JPEG bytes
     * @return the orientation from 1 to 8, or 1 when absent or unreadable
     */
    public static int exifOrientation(byte[] jpeg) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
            List<JPEGSegment> segments = JPEGSegmentUtil.readSegments(in, JPEG.APP1, "Exif");
            for (JPEGSegment s : segments) {
                try (InputStream data = s.data()) {
                    byte[] exif = data.readAllBytes();
                    int skip = exif.length > 6 && exif[0] == 'E' && exif[1] == 'x' ? 6 : 0;
                    while (skip < exif.length && exif[skip] == 0) {
                        skip++;
                    }
                    if (exif.length <= skip) {
                        continue;
                    }
                    try (ImageInputStream tiff =
                            ImageIO.createImageInputStream(
                                    new ByteArrayInputStream(exif, skip, exif.length - skip))) {
                        Directory dir = new TIFFReader().read(tiff);
                        Entry e = dir.getEntryById(TIFF.TAG_ORIENTATION);
                        if (e != null && e.getValue() instanceof Number n) {
                            return n.intValue();
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return 1;
        }
        return 1;
    }

    private static boolean isJpeg(byte[] b) {
        return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
    }
}
