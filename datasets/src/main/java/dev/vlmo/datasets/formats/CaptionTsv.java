package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Caption TSV files (Conceptual Captions, SBU style): one {@code caption<TAB>image} line per pair,
 * the image a path relative to an image folder; each line is its own image.
 */
public final class CaptionTsv {
    private CaptionTsv() {}

    /**
     * Reads a caption TSV; malformed lines, empty captions and missing images are reported.
     *
     * @param tsv the file
     * @param imageRoot the folder image paths are relative to
     * @param bad where to report bad input
     * @return the pairs, image ids numbering the kept lines
     */
    public static List<ImageText> read(Path tsv, Path imageRoot, BadInputs bad) {
        List<ImageText> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(tsv, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String where = tsv + ":" + n;
                String[] cols = line.split("\t", -1);
                if (cols.length != 2) {
                    bad.report(
                            "malformed line",
                            where + " (" + cols.length + " columns, expected caption<TAB>image)",
                            null);
                    continue;
                }
                if (cols[0].isBlank()) {
                    bad.report("empty caption", where, null);
                    continue;
                }
                Path file = imageRoot.resolve(cols[1].strip());
                if (!Files.isRegularFile(file)) {
                    bad.report("missing image", where + " (" + file + ")", null);
                    continue;
                }
                out.add(new ImageText(ImageRef.file(file), cols[0].strip(), out.size()));
            }
        } catch (IOException e) {
            throw new DataException("cannot read caption TSV " + tsv + ": " + e.getMessage(), e);
        }
        return out;
    }
}
