package dev.vlmo.dsl;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * A reference to a data source in a description: where the data is and what it holds. Nothing is
 * read until a description runs.
 */
public sealed interface DataRef {

    /** What a source can feed. */
    enum Content {
        /** Images alone (vision stage, classification). */
        IMAGES,
        /** Texts alone (language stage). */
        TEXTS,
        /** Image-text pairs (vision-language stage, retrieval). */
        PAIRS,
        /** Questions about images with answers (VQA). */
        VQA,
        /** Statements about image pairs with true/false labels (NLVR2). */
        NLVR2,
        /** Images with class labels (classification). */
        CLASSES
    }

    /**
     * Returns what this source holds.
     *
     * @return the contents
     */
    Set<Content> contents();

    /**
     * Returns a short description for tables.
     *
     * @return the description
     */
    String describe();

    /**
     * The built-in synthetic world: scenes of shapes with captions, questions, statements, an
     * image-only set and a text corpus, generated from a seed.
     *
     * @param seed the world's seed
     * @param trainScenes scenes in the training split
     * @param evalScenes scenes in each of the validation and test splits
     */
    record BuiltIn(long seed, int trainScenes, int evalScenes) implements DataRef {
        /** Checks the sizes. */
        public BuiltIn {
            Checks.positive("trainScenes", trainScenes);
            Checks.positive("evalScenes", evalScenes);
        }

        /**
         * Returns this world with another seed.
         *
         * @param v the seed
         * @return a new reference
         */
        public BuiltIn seed(long v) {
            return new BuiltIn(v, trainScenes, evalScenes);
        }

        /**
         * Returns this world with other split sizes.
         *
         * @param train scenes in the training split, positive
         * @param eval scenes in each evaluation split, positive
         * @return a new reference
         */
        public BuiltIn scenes(int train, int eval) {
            return new BuiltIn(seed, train, eval);
        }

        @Override
        public Set<Content> contents() {
            return EnumSet.allOf(Content.class);
        }

        @Override
        public String describe() {
            return "built-in world (seed " + seed + ", " + trainScenes + " train scenes)";
        }

        /**
         * Returns this world, generated once per image size and shared by training and evaluation.
         *
         * @param imageSize the side of rendered images
         * @return the world
         */
        public dev.vlmo.datasets.synthetic.SyntheticWorld world(int imageSize) {
            return Worlds.of(this, imageSize);
        }
    }

    /**
     * A folder of images with one sub-folder per class.
     *
     * @param root the folder
     */
    record ImageFolder(Path root) implements DataRef {
        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.IMAGES, Content.CLASSES);
        }

        @Override
        public String describe() {
            return "image folder " + root;
        }
    }

    /**
     * Plain text files, one sentence or paragraph per line.
     *
     * @param glob a file or a glob pattern such as {@code wiki/*.txt}
     */
    record TextLines(String glob) implements DataRef {
        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.TEXTS);
        }

        @Override
        public String describe() {
            return "text lines " + glob;
        }
    }

    /**
     * WebDataset tar shards as img2dataset writes them.
     *
     * @param shards a brace pattern such as {@code cc3m/{00000..00331}.tar}
     */
    record WebDataset(String shards) implements DataRef {
        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.PAIRS, Content.IMAGES, Content.TEXTS);
        }

        @Override
        public String describe() {
            return "WebDataset " + shards;
        }
    }

    /**
     * COCO or Flickr30k captions in the Karpathy split JSON with its image folder.
     *
     * @param root the folder holding the JSON and the images
     * @param name {@code coco} or {@code f30k}
     */
    record Karpathy(Path root, String name) implements DataRef {
        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.PAIRS, Content.IMAGES, Content.TEXTS);
        }

        @Override
        public String describe() {
            return name + " (Karpathy splits) " + root;
        }
    }

    /**
     * The reference implementation's Arrow IPC files.
     *
     * @param files a file or a glob pattern of {@code .arrow} files
     * @param content what the files hold
     */
    record Arrow(String files, Content content) implements DataRef {
        @Override
        public Set<Content> contents() {
            return content == Content.PAIRS
                    ? EnumSet.of(Content.PAIRS, Content.IMAGES, Content.TEXTS)
                    : EnumSet.of(content);
        }

        @Override
        public String describe() {
            return "Arrow "
                    + files
                    + " ("
                    + content.name().toLowerCase(java.util.Locale.ROOT)
                    + ")";
        }
    }

    /**
     * VQA v2 in its official files: {@code v2_OpenEnded_mscoco_SPLIT_questions.json}, {@code
     * v2_mscoco_SPLIT_annotations.json} and the COCO images {@code SPLIT/COCO_SPLIT_%012d.jpg}, for
     * SPLIT {@code train2014} (training) and {@code val2014} (evaluation). The answer vocabulary is
     * every majority answer seen at least {@code minAnswerCount} times in both (the reference's
     * 3129 answers at 9).
     *
     * @param root the folder holding the files
     * @param minAnswerCount the vocabulary threshold, positive
     */
    record VqaV2(Path root, int minAnswerCount) implements DataRef {
        /** Checks the threshold. */
        public VqaV2 {
            Checks.positive("minAnswerCount", minAnswerCount);
        }

        /**
         * Returns this dataset with another answer threshold.
         *
         * @param n positive
         * @return a new reference
         */
        public VqaV2 minAnswerCount(int n) {
            return new VqaV2(root, n);
        }

        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.VQA);
        }

        @Override
        public String describe() {
            return "VQA v2 " + root;
        }
    }

    /**
     * NLVR2 in its official files: {@code train.json} and {@code dev.json} (JSON lines) with the
     * image pairs under {@code images/train/DIR/} and {@code dev/}.
     *
     * @param root the folder holding the files
     */
    record Nlvr2Files(Path root) implements DataRef {
        @Override
        public Set<Content> contents() {
            return EnumSet.of(Content.NLVR2);
        }

        @Override
        public String describe() {
            return "NLVR2 " + root;
        }
    }
}
