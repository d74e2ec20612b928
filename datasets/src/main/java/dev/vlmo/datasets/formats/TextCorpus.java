package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.DataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Plain text corpora for text-only pretraining: one sentence or paragraph per line. */
public final class TextCorpus {
    private TextCorpus() {}

    /**
     * Reads the non-blank lines of text files, in the order given.
     *
     * @param files the files (UTF-8)
     * @return the stripped lines
     */
    public static List<String> lines(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            try (Stream<String> s = Files.lines(f, StandardCharsets.UTF_8)) {
                s.map(String::strip).filter(l -> !l.isEmpty()).forEach(out::add);
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new DataException(
                        "cannot read text corpus file " + f + " as UTF-8: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Lists files matching a glob such as {@code wiki/*.txt}, sorted by name.
     *
     * @param dir the folder
     * @param glob the pattern of file names
     * @return the matching files
     */
    public static List<Path> files(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        try (var ds = Files.newDirectoryStream(dir, glob)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new DataException(
                    "cannot list " + dir + " for " + glob + ": " + e.getMessage(), e);
        }
        out.sort(null);
        if (out.isEmpty()) {
            throw new DataException("no file in " + dir + " matches " + glob);
        }
        return out;
    }
}
