package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.LabeledImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Image folders with one sub-folder per class ({@code root/class/image.jpg}), ImageNet style;
 * classes are numbered in sorted name order.
 *
 * @param classes the class names, in label order
 * @param images the images with their labels
 */
public record ImageFolder(List<String> classes, List<LabeledImage> images) {
    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");

    /**
     * Lists the images of a folder.
     *
     * @param root the folder holding one folder per class
     * @return the classes and images
     */
    public static ImageFolder read(Path root) {
        List<String> classes = new ArrayList<>();
        List<LabeledImage> images = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .forEach(classes::add);
            for (int c = 0; c < classes.size(); c++) {
                try (Stream<Path> files = Files.walk(root.resolve(classes.get(c)))) {
                    int label = c;
                    files.filter(Files::isRegularFile)
                            .filter(ImageFolder::isImage)
                            .sorted()
                            .forEach(f -> images.add(new LabeledImage(ImageRef.file(f), label)));
                }
            }
        } catch (IOException e) {
            throw new DataException("cannot list image folder " + root + ": " + e.getMessage(), e);
        }
        if (classes.isEmpty()) {
            throw new DataException(
                    "image folder " + root + " has no class folders; expected root/CLASS/IMAGE");
        }
        return new ImageFolder(List.copyOf(classes), List.copyOf(images));
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(n::endsWith);
    }
}
