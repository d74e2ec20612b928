package dev.vlmo.datasets.formats;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * COCO and Flickr30k captions in Karpathy's split JSON ({@code dataset_coco.json}, {@code
 * dataset_flickr30k.json}): {@code images[]} with {@code filepath} (COCO only), {@code filename},
 * {@code split} and {@code sentences[].raw}.
 */
public final class Karpathy {
    private Karpathy() {}

    /** The split names of Karpathy's files. */
    static final Set<String> KNOWN_SPLITS = Set.of("train", "restval", "val", "test");

    /**
     * Reads the captions of some splits, one sample per caption; image ids number the kept images
     * from 0. Images that are missing on disk and empty captions are reported and skipped.
     *
     * @param json the Karpathy JSON file
     * @param imageRoot the folder that holds {@code filepath/filename} (COCO) or {@code filename}
     * @param splits the splits to keep ({@code train}, {@code restval}, {@code val}, {@code test})
     * @param bad where to report bad input
     * @return the image-text pairs, grouped by image
     */
    public static List<ImageText> read(
            Path json, Path imageRoot, Set<String> splits, BadInputs bad) {
        JsonNode images = Json.field(Json.read(json), "images", json);
        List<ImageText> out = new ArrayList<>();
        int imageId = 0;
        int index = 0;
        for (JsonNode img : images) {
            index++;
            String split = img.path("split").asText("");
            String meant = split.strip().toLowerCase(java.util.Locale.ROOT);
            if (!KNOWN_SPLITS.contains(split)
                    && (splits.contains(meant) || meant.isEmpty() && splits.contains("train"))) {
                // a split asked for, misspelt ("Train"), or a missing field (reported by the
                // training read) would otherwise drop the image silently
                bad.report(
                        "unknown split",
                        json.getFileName()
                                + " image #"
                                + (index - 1)
                                + ": split \""
                                + split
                                + "\" is none of "
                                + KNOWN_SPLITS,
                        null);
                continue;
            }
            if (!splits.contains(split)) {
                continue;
            }
            String filename = img.path("filename").asText("");
            String filepath = img.path("filepath").asText("");
            Path file =
                    filepath.isEmpty()
                            ? imageRoot.resolve(filename)
                            : imageRoot.resolve(filepath).resolve(filename);
            String where = json.getFileName() + " image #" + (index - 1) + " (" + file + ")";
            if (filename.isEmpty() || !Files.isRegularFile(file)) {
                bad.report("missing image", where, null);
                continue;
            }
            ImageRef ref = ImageRef.file(file);
            if (!img.path("sentences").isArray()) {
                bad.report("no sentences array", where, null);
                continue;
            }
            int kept = 0;
            for (JsonNode s : img.path("sentences")) {
                String raw = s.path("raw").asText("");
                if (raw.isBlank()) {
                    bad.report("empty caption", where, null);
                    continue;
                }
                out.add(new ImageText(ref, raw.strip(), imageId));
                kept++;
            }
            if (kept > 0) {
                imageId++;
            }
        }
        return out;
    }
}
