package dev.vlmo.datasets.formats;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.Nlvr2Example;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * NLVR2 JSON lines ({@code identifier}, {@code sentence}, {@code label} "True"/"False", and {@code
 * directory} for train) with the image pairs {@code BASE-img0.png} and {@code BASE-img1.png}, where
 * BASE is the identifier without its last {@code -N}.
 */
public final class Nlvr2 {
    private Nlvr2() {}

    /**
     * Reads a JSON-lines file. The pair is looked up under {@code root/images/train/DIRECTORY/},
     * {@code root/SPLIT/} and {@code root/}; malformed lines, empty sentences, bad labels and
     * missing images are reported with the file and line number.
     *
     * @param jsonl the file
     * @param imageRoot the NLVR2 folder
     * @param bad where to report bad input
     * @return the examples
     */
    public static List<Nlvr2Example> read(Path jsonl, Path imageRoot, BadInputs bad) {
        List<Nlvr2Example> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String where = jsonl + ":" + n;
                JsonNode o;
                try {
                    o = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    bad.report("malformed json", where, e);
                    continue;
                }
                String id = o.path("identifier").asText("");
                String sentence = o.path("sentence").asText("");
                String label = o.path("label").asText("");
                if (id.isEmpty() || id.lastIndexOf('-') < 0) {
                    bad.report("malformed json", where + " (no identifier)", null);
                    continue;
                }
                if (sentence.isBlank()) {
                    bad.report("empty text", where, null);
                    continue;
                }
                if (!label.equalsIgnoreCase("true") && !label.equalsIgnoreCase("false")) {
                    bad.report("bad label", where + " (label '" + label + "')", null);
                    continue;
                }
                String base = id.substring(0, id.lastIndexOf('-'));
                String split = id.substring(0, id.indexOf('-'));
                Path dir = find(imageRoot, split, o.path("directory").asText(""), base);
                if (dir == null) {
                    bad.report("missing image", where + " (" + base + "-img0.png)", null);
                    continue;
                }
                out.add(
                        new Nlvr2Example(
                                ImageRef.file(dir.resolve(base + "-img0.png")),
                                ImageRef.file(dir.resolve(base + "-img1.png")),
                                sentence.strip(),
                                label.equalsIgnoreCase("true"),
                                id));
            }
        } catch (IOException e) {
            throw new DataException("cannot read NLVR2 file " + jsonl + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static Path find(Path root, String split, String directory, String base) {
        List<Path> candidates = new ArrayList<>();
        if (!directory.isEmpty()) {
            candidates.add(root.resolve("images").resolve(split).resolve(directory));
        }
        candidates.add(root.resolve(split));
        candidates.add(root);
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve(base + "-img0.png"))
                    && Files.isRegularFile(c.resolve(base + "-img1.png"))) {
                return c;
            }
        }
        return null;
    }
}
