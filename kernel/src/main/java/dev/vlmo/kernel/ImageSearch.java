package dev.vlmo.kernel;

import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.eval.Retrieval;
import dev.vlmo.dsl.infer.Predictor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Explores a trained run's dual encoder on a split of the built-in world in a notebook: the
 * image-caption similarity matrix, recall at every cut-off, and free-text queries whose best images
 * are drawn as a picture.
 *
 * <p>Images and captions are embedded once, as {@link Run#retrieval} embeds them (the evaluation
 * transform at the model's image size, captions cut to the text length of the run's vision-language
 * stage, the ITC heads' normalised features); a score is the dot product of an image's and a text's
 * features, so recall here agrees with {@link Run#retrieval}. Ties rank against the model, as
 * there.
 */
public final class ImageSearch {

    /** Side of a result image in {@link #show}: scenes are drawn at this size (nearest pixel). */
    public static final int TILE = 128;

    private final Run run;
    private final SyntheticWorld world;
    private final SyntheticWorld.Split split;
    private final Predictor predictor;
    private final float[][] imageFeatures;
    private final float[][] scores;
    private final List<String> captions;
    private final int[] captionImage;

    /**
     * One image found for a query.
     *
     * @param rank 1 for the best image
     * @param image the scene's index in the split
     * @param score the image's score (cosine similarity of the ITC features)
     * @param caption the scene's first caption
     */
    public record Hit(int rank, int image, double score, String caption) {}

    private ImageSearch(Run run, DataRef.BuiltIn ref, SyntheticWorld.Split split) {
        this.run = Objects.requireNonNull(run, "run");
        this.split = Objects.requireNonNull(split, "split");
        this.world = Objects.requireNonNull(ref, "world").world(run.plan().model().imageSize());
        List<ImageText> pairs = world.captions(split);
        this.captions = pairs.stream().map(ImageText::text).toList();
        this.captionImage = pairs.stream().mapToInt(ImageText::imageId).toArray();
        int n = world.scenes(split).size();
        List<ImageRef> refs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            refs.add(world.image(split, i));
        }
        // the run's own inference API and score helper, as Run.retrieval uses, so recall agrees
        this.predictor = run.predictor().batchSize(64);
        this.imageFeatures = predictor.embedImages(refs);
        float[] flat = Retrieval.similarity(imageFeatures, predictor.embedTexts(captions));
        this.scores = new float[n][];
        for (int i = 0; i < n; i++) {
            scores[i] = Arrays.copyOfRange(flat, i * captions.size(), (i + 1) * captions.size());
        }
    }

    /**
     * Embeds the built-in world's held-out test scenes and their captions with a run's model.
     *
     * @param run a finished run
     * @param world the world given to the run's stages
     * @return the search
     */
    public static ImageSearch of(Run run, DataRef.BuiltIn world) {
        return new ImageSearch(run, world, SyntheticWorld.Split.TEST);
    }

    /**
     * Embeds one split of the built-in world and its captions with a run's model.
     *
     * @param run a finished run
     * @param world the world given to the run's stages
     * @param split which scenes ({@code VAL} and {@code TEST} are held out from training)
     * @return the search
     */
    public static ImageSearch of(Run run, DataRef.BuiltIn world, SyntheticWorld.Split split) {
        return new ImageSearch(run, world, split);
    }

    /** The number of images (scenes) searched. */
    public int images() {
        return imageFeatures.length;
    }

    /** The captions of the split, in the world's order. */
    public List<String> captions() {
        return captions;
    }

    /** The index of the image each caption describes. */
    public int imageOf(int caption) {
        return captionImage[caption];
    }

    /** The first caption of an image. */
    public String captionOf(int image) {
        for (int t = 0; t < captionImage.length; t++) {
            if (captionImage[t] == image) {
                return captions.get(t);
            }
        }
        throw new IllegalArgumentException("image " + image + " has no caption");
    }

    /** A scene of the split as the model sees its size. */
    public BufferedImage image(int image) {
        checkImage(image);
        try {
            return world.image(split, image).load().toBufferedImage();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The score of every image with every caption.
     *
     * @return {@code [images][captions]}
     */
    public float[][] similarity() {
        float[][] s = new float[scores.length][];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores[i].clone();
        }
        return s;
    }

    /**
     * The scores of the first caption of each of the first {@code n} images with those images: a
     * matching pair is on the diagonal.
     *
     * @param n how many images, 1 to {@link #images()}
     * @return {@code [n][n]}, row = caption (of image r), column = image
     */
    public double[][] similarity(int n) {
        if (n < 1 || n > images()) {
            throw new IllegalArgumentException(
                    "similarity(n) needs n in [1, " + images() + "], got " + n);
        }
        double[][] s = new double[n][n];
        for (int r = 0; r < n; r++) {
            int t = firstCaption(r);
            for (int i = 0; i < n; i++) {
                s[r][i] = scores[i][t];
            }
        }
        return s;
    }

    /**
     * Short labels of the first {@code n} images' first captions, for the rows of {@link
     * #similarity(int)}.
     *
     * @param n how many
     * @param maxChars longest label; longer captions end in "..."
     * @return the labels
     */
    public List<String> captionLabels(int n, int maxChars) {
        if (maxChars < 4) {
            throw new IllegalArgumentException(
                    "captionLabels needs maxChars >= 4, got " + maxChars);
        }
        List<String> out = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            String text = captions.get(firstCaption(c));
            out.add(
                    text.length() <= maxChars
                            ? text
                            : text.substring(0, maxChars - 3).stripTrailing() + "...");
        }
        return out;
    }

    /**
     * Recall at every cut-off from 1 to {@code maxK} in both directions, in percent, with the
     * chance level of image retrieval ({@code k / images}).
     *
     * @param maxK the largest cut-off, 1 to {@link #images()}
     * @return columns {@code k}, {@code text retrieval}, {@code image retrieval}, {@code chance}
     */
    public Table recallAtK(int maxK) {
        if (maxK < 1 || maxK > images()) {
            throw new IllegalArgumentException(
                    "recallAtK needs maxK in [1, " + images() + "], got " + maxK);
        }
        float[][] s = scores;
        int n = images();
        int texts = captions.size();
        // rank of each image's best caption among all captions, and of each caption's image
        int[] textRank = new int[n];
        Arrays.fill(textRank, Integer.MAX_VALUE);
        for (int t = 0; t < texts; t++) {
            int i = captionImage[t];
            textRank[i] = Math.min(textRank[i], rank(s[i], t));
        }
        int[] imageRank = new int[texts];
        float[] column = new float[n];
        for (int t = 0; t < texts; t++) {
            for (int i = 0; i < n; i++) {
                column[i] = s[i][t];
            }
            imageRank[t] = rank(column, captionImage[t]);
        }
        Table table = Table.create("recall@k (%)");
        IntColumn k = IntColumn.create("k");
        DoubleColumn tr = DoubleColumn.create("text retrieval");
        DoubleColumn ir = DoubleColumn.create("image retrieval");
        DoubleColumn chance = DoubleColumn.create("chance");
        for (int cut = 1; cut <= maxK; cut++) {
            k.append(cut);
            tr.append(percent(below(textRank, cut), n));
            ir.append(percent(below(imageRank, cut), texts));
            chance.append(100.0 * cut / n);
        }
        return table.addColumns(k, tr, ir, chance);
    }

    /**
     * The images that score best for a text.
     *
     * @param text any text (words the tokenizer does not know become [UNK])
     * @param k how many images, 1 to {@link #images()}
     * @return the best {@code k}, best first
     */
    public List<Hit> query(String text, int k) {
        Objects.requireNonNull(text, "text");
        if (k < 1 || k > images()) {
            throw new IllegalArgumentException("query needs k in [1, " + images() + "], got " + k);
        }
        float[] q = predictor.embedTexts(List.of(text))[0];
        float[] s = new float[images()];
        for (int i = 0; i < s.length; i++) {
            s[i] = dot(imageFeatures[i], q);
        }
        Integer[] order = new Integer[s.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // stable sort: equal scores keep the lower index first
        Arrays.sort(order, (a, b) -> Float.compare(s[b], s[a]));
        List<Hit> hits = new ArrayList<>();
        for (int r = 0; r < k; r++) {
            int i = order[r];
            hits.add(new Hit(r + 1, i, s[i], captionOf(i)));
        }
        return hits;
    }

    /**
     * The hits of a query as a table.
     *
     * @param text the query
     * @param k how many images
     * @return rank, image, score and the image's first caption
     */
    public Table queryTable(String text, int k) {
        List<Hit> hits = query(text, k);
        return Table.create("top " + k + " images for \"" + text + "\"")
                .addColumns(
                        IntColumn.create("rank", hits.stream().mapToInt(Hit::rank).toArray()),
                        IntColumn.create("image", hits.stream().mapToInt(Hit::image).toArray()),
                        DoubleColumn.create(
                                "score",
                                hits.stream()
                                        .mapToDouble(h -> Math.round(h.score() * 1e4) / 1e4)
                                        .toArray()),
                        StringColumn.create(
                                "caption of the image", hits.stream().map(Hit::caption).toList()));
    }

    /**
     * Draws the best {@code k} images of a query side by side, each {@value #TILE} pixels wide with
     * its rank, image index and score under it; when {@code expected} is an image index, that image
     * has a green frame where it appears.
     *
     * @param text the query
     * @param k how many images
     * @param expected the image the query describes, or -1
     * @return the picture
     */
    public BufferedImage show(String text, int k, int expected) {
        if (expected < -1 || expected >= images()) {
            throw new IllegalArgumentException(
                    "expected must be -1 or an image in [0, " + images() + "), got " + expected);
        }
        List<Hit> hits = query(text, k);
        int pad = 8;
        int head = 24;
        int foot = 20;
        int width = pad + k * (TILE + pad);
        int height = head + TILE + foot + pad;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.setColor(Color.DARK_GRAY);
            g.drawString(fit(g, "\u201c" + text + "\u201d", width - 2 * pad), pad, 17);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (Hit h : hits) {
                int x = pad + (h.rank() - 1) * (TILE + pad);
                g.drawImage(image(h.image()), x, head, TILE, TILE, null);
                if (h.image() == expected) {
                    g.setColor(new Color(0, 160, 0));
                    g.setStroke(new BasicStroke(4));
                    g.drawRect(x + 2, head + 2, TILE - 4, TILE - 4);
                }
                g.setColor(Color.DARK_GRAY);
                g.drawString(
                        String.format(
                                Locale.ROOT, "#%d  image %d  %.3f", h.rank(), h.image(), h.score()),
                        x,
                        head + TILE + 14);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /**
     * {@link #show(String, int, int)} for the first caption of each given image, one row per query,
     * the described image framed in green wherever it ranks in the best {@code k}.
     *
     * @param k how many images per query
     * @param images the images whose first captions are the queries
     * @return the picture
     */
    public BufferedImage show(int k, int... images) {
        if (images.length == 0) {
            throw new IllegalArgumentException("show needs at least one image");
        }
        List<BufferedImage> strips = new ArrayList<>();
        int width = 0;
        int height = 0;
        for (int i : images) {
            checkImage(i);
            BufferedImage strip = show(captionOf(i), k, i);
            strips.add(strip);
            width = Math.max(width, strip.getWidth());
            height += strip.getHeight();
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int y = 0;
            for (BufferedImage strip : strips) {
                g.drawImage(strip, 0, y, null);
                y += strip.getHeight();
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    @Override
    public String toString() {
        return "ImageSearch("
                + images()
                + " "
                + split.name().toLowerCase(Locale.ROOT)
                + " images, "
                + captions.size()
                + " captions)";
    }

    private int firstCaption(int image) {
        for (int t = 0; t < captionImage.length; t++) {
            if (captionImage[t] == image) {
                return t;
            }
        }
        throw new IllegalArgumentException("image " + image + " has no caption");
    }

    private void checkImage(int image) {
        if (image < 0 || image >= images()) {
            throw new IllegalArgumentException(
                    "image must be in [0, " + images() + "), got " + image);
        }
    }

    private static String fit(Graphics2D g, String s, int width) {
        FontMetrics m = g.getFontMetrics();
        if (m.stringWidth(s) <= width) {
            return s;
        }
        String cut = s;
        while (!cut.isEmpty() && m.stringWidth(cut + "...") > width) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }

    /** Entries scoring higher than {@code target}, plus equal ones at lower indices. */
    private static int rank(float[] scores, int target) {
        float v = scores[target];
        int higher = 0;
        for (int j = 0; j < scores.length; j++) {
            if (scores[j] > v || scores[j] == v && j < target) {
                higher++;
            }
        }
        return higher;
    }

    private static int below(int[] ranks, int cut) {
        int n = 0;
        for (int r : ranks) {
            if (r < cut) {
                n++;
            }
        }
        return n;
    }

    private static double percent(int hits, int of) {
        return Math.round(1000.0 * hits / of) / 10.0;
    }

    private static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
