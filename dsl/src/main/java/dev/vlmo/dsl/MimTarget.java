package dev.vlmo.dsl;

import java.nio.file.Path;

/**
 * What masked image modelling predicts at masked patches.
 *
 * <p>The reference starts stage 1 from a BEiT checkpoint, which predicts the discrete tokens of a
 * dVAE visual tokenizer. No tokenizer ships with this project, so the default target is the patch's
 * pixels normalised per patch (mean 0, variance 1), regressed with a mean squared error; a user
 * with a visual tokenizer exported to TorchScript can predict its tokens instead.
 */
public sealed interface MimTarget {

    /**
     * Returns the number of values (or classes) predicted per patch for a patch side.
     *
     * @param patch the patch side in pixels
     * @return the MIM head's output width
     */
    int width(int patch);

    /** Normalised pixels of each patch (the default). */
    record Pixels() implements MimTarget {
        @Override
        public int width(int patch) {
            return 3 * patch * patch;
        }

        @Override
        public String toString() {
            return "normalised pixels";
        }
    }

    /**
     * Discrete tokens of a visual tokenizer: a TorchScript model mapping (B, 3, S, S) images to (B,
     * P) token ids.
     *
     * @param tokenizer the TorchScript file
     * @param vocabulary the number of visual tokens (8192 for BEiT's dVAE)
     */
    record Tokens(Path tokenizer, int vocabulary) implements MimTarget {
        /** Checks the vocabulary. */
        public Tokens {
            Checks.positive("vocabulary", vocabulary);
        }

        @Override
        public int width(int patch) {
            return vocabulary;
        }

        @Override
        public String toString() {
            return vocabulary + " visual tokens of " + tokenizer;
        }
    }
}
