package dev.vlmo.datasets.formats;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.VqaExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * VQA v2: the questions JSON ({@code questions[]} with {@code image_id}, {@code question}, {@code
 * question_id}) and the annotations JSON ({@code annotations[]} with {@code multiple_choice_answer}
 * and ten {@code answers[].answer}).
 */
public final class VqaV2 {
    private VqaV2() {}

    /**
     * Builds the answer vocabulary from annotation files (train and val in the reference).
     *
     * @param annotationFiles the annotation JSON files
     * @param minCount the threshold, {@link VqaAnswers#DEFAULT_MIN_COUNT} in VQA
     * @return the vocabulary
     */
    public static VqaAnswers buildAnswers(List<Path> annotationFiles, int minCount) {
        List<String> majority = new ArrayList<>();
        for (Path f : annotationFiles) {
            for (JsonNode a : Json.field(Json.read(f), "annotations", f)) {
                majority.add(a.path("multiple_choice_answer").asText(""));
            }
        }
        return VqaAnswers.build(majority, minCount);
    }

    /**
     * Returns COCO's image naming: {@code dir/PREFIX000000123456.jpg}.
     *
     * @param dir the image folder, e.g. {@code coco/val2014}
     * @param prefix the file prefix, e.g. {@code COCO_val2014_}
     * @return the id-to-path function
     */
    public static LongFunction<Path> cocoImages(Path dir, String prefix) {
        return id -> dir.resolve(String.format("%s%012d.jpg", prefix, id));
    }

    /**
     * Reads questions with their soft-score targets. Annotator answers are normalised and counted;
     * questions none of whose answers is in the vocabulary are reported as "unknown answer" and
     * skipped (the reference drops them too), as are questions whose image is missing.
     *
     * @param questions the questions JSON
     * @param annotations the annotations JSON, or {@code null} for test splits (no targets)
     * @param images where the image of an image id is
     * @param answers the answer vocabulary
     * @param bad where to report bad input
     * @return the examples; image ids number the distinct images from 0
     */
    public static List<VqaExample> read(
            Path questions,
            Path annotations,
            LongFunction<Path> images,
            VqaAnswers answers,
            BadInputs bad) {
        Map<Long, JsonNode> byQuestion = new HashMap<>();
        if (annotations != null) {
            for (JsonNode a : Json.field(Json.read(annotations), "annotations", annotations)) {
                byQuestion.put(a.path("question_id").asLong(), a);
            }
        }
        Map<Long, Integer> imageIndex = new HashMap<>();
        Map<Long, Boolean> imageExists = new HashMap<>();
        List<VqaExample> out = new ArrayList<>();
        for (JsonNode q : Json.field(Json.read(questions), "questions", questions)) {
            long qid = q.path("question_id").asLong();
            long iid = q.path("image_id").asLong();
            String text = q.path("question").asText("");
            String where = questions.getFileName() + " question " + qid;
            if (text.isBlank()) {
                bad.report("empty question", where, null);
                continue;
            }
            Path file = images.apply(iid);
            if (!imageExists.computeIfAbsent(iid, k -> Files.isRegularFile(file))) {
                bad.report("missing image", where + " (" + file + ")", null);
                continue;
            }
            List<String> given = new ArrayList<>();
            int[] labels = new int[0];
            float[] scores = new float[0];
            if (annotations != null) {
                JsonNode a = byQuestion.get(qid);
                if (a == null) {
                    bad.report("unannotated question", where, null);
                    continue;
                }
                Map<String, Integer> counts = new LinkedHashMap<>();
                for (JsonNode ans : a.path("answers")) {
                    String norm = VqaAnswers.normalize(ans.path("answer").asText(""));
                    given.add(norm); // one per annotator, for the official accuracy
                    counts.merge(norm, 1, Integer::sum);
                }
                List<Integer> ls = new ArrayList<>();
                List<Float> ss = new ArrayList<>();
                counts.entrySet().stream()
                        .sorted((x, y) -> Integer.compare(y.getValue(), x.getValue()))
                        .forEach(
                                e -> {
                                    int l = answers.label(e.getKey());
                                    if (l >= 0) {
                                        ls.add(l);
                                        ss.add(VqaAnswers.score(e.getValue()));
                                    }
                                });
                if (ls.isEmpty()) {
                    bad.report(
                            "unknown answer", where + " (answers " + counts.keySet() + ")", null);
                    continue;
                }
                labels = ls.stream().mapToInt(Integer::intValue).toArray();
                scores = new float[ss.size()];
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = ss.get(i);
                }
            }
            int index = imageIndex.computeIfAbsent(iid, k -> imageIndex.size());
            out.add(new VqaExample(ImageRef.file(file), text, given, labels, scores, qid, index));
        }
        return out;
    }
}
