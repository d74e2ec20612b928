package dev.vlmo.datasets.synthetic;

/**
 * What a model that ignores the image (or guesses) scores on a task of the synthetic world.
 *
 * @param task the task, e.g. {@code "vqa/count"} or {@code "nlvr2"}
 * @param examples the number of examples measured
 * @param classes the number of possible answers
 * @param uniform the accuracy of a uniform random guess over the possible answers
 * @param majority the accuracy of always giving the most frequent answer (for VQA: per question
 *     type, which a text-only model can read off the question)
 */
public record ChanceLevel(String task, int examples, int classes, double uniform, double majority) {
    @Override
    public String toString() {
        return String.format(
                "%-22s n=%-6d classes=%-3d uniform=%.3f majority=%.3f",
                task, examples, classes, uniform, majority);
    }
}
