package dev.vlmo.dsl.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.Dsl;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Attention maps of one pair through the inference API, and what repeated calls leave behind. */
class AttentionMapTest {

    static NDManager m;
    static VlmoModel model;
    static WordPieceTokenizer tok;
    static SyntheticWorld world;

    @BeforeAll
    static void open() {
        world = Dsl.builtIn().scenes(16, 8).world(32);
        tok = new WordPieceTokenizer(world.vocabulary());
        m = Engines.newManager(null);
        m.getEngine().setRandomSeed(5);
        model = new VlmoModel(VlmoConfig.tiny().withVocabSize(tok.vocabulary().size()));
        model.initialize(m);
        // a relative table and biases that are not zero, so positions and padding matter
        model.namedParameters()
                .values()
                .forEach(
                        p -> {
                            NDArray a = p.getArray();
                            if (a.getShape().dimension() > 0) {
                                a.addi(m.randomNormal(0f, 0.5f, a.getShape(), DataType.FLOAT32));
                            }
                        });
    }

    @AfterAll
    static void close() {
        m.close();
    }

    private static Predictor predictor(int textLength) {
        return new Predictor(model, m, false, tok, textLength, null, null, null);
    }

    @Test
    void repeatedInferenceHoldsNoMoreArrays() {
        // a model serving requests keeps only its weights: every call frees what it made
        Predictor p = predictor(32).batchSize(3);
        java.util.ArrayList<ImageRef> images = new java.util.ArrayList<>();
        java.util.ArrayList<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            images.add(world.image(SyntheticWorld.Split.TEST, i));
            texts.add(world.captionsOf(SyntheticWorld.Split.TEST, i).get(0));
        }
        int before = m.getManagedArrays().size();
        int[] held = new int[3];
        for (int round = 0; round < 3; round++) {
            p.embedImages(images);
            p.embedTexts(texts);
            p.match(images, texts);
            p.indexImages(images).search(texts.get(0), 3);
            p.attention(images.get(0), texts.get(0));
            held[round] = m.getManagedArrays().size();
        }
        for (int round = 0; round < 3; round++) {
            assertEquals(before, held[round], "arrays held after round " + (round + 1));
        }
    }

    @Test
    void mapCoversTheRealTokensAndEveryRowIsADistribution() {
        ImageRef image = world.image(SyntheticWorld.Split.TEST, 0);
        String text = world.captionsOf(SyntheticWorld.Split.TEST, 0).get(0);
        AttentionMap map = predictor(32).attention(image, text);
        VlmoConfig c = model.config();
        List<String> words = List.of(tok.encode(text, 32).tokens());
        assertEquals(c.layers(), map.layers());
        assertEquals(c.heads(), map.heads());
        assertEquals(words.size(), map.textTokens());
        assertEquals(words, map.tokens().subList(0, map.textTokens()));
        assertEquals("[IMG]", map.tokens().get(map.textTokens()));
        assertEquals(map.textTokens() + c.imageTokens(), map.tokens().size());
        for (int l = 0; l < map.layers(); l++) {
            for (int h = 0; h < map.heads(); h++) {
                for (float[] row : map.weights(l, h)) {
                    double sum = 0;
                    for (float v : row) {
                        assertTrue(v >= 0f);
                        sum += v;
                    }
                    // padding is left out, and it received no attention: nothing is missing
                    assertEquals(1.0, sum, 1e-4);
                }
            }
        }
        // the grid of a token is its row of textToImage laid out row by row
        int g = map.gridSize();
        float[][] grid = map.imageGrid(1, 2);
        float[] row = map.textToImage(1)[2];
        float[] mean = map.weights(1)[2];
        for (int r = 0; r < g; r++) {
            for (int col = 0; col < g; col++) {
                assertEquals(row[r * g + col], grid[r][col]);
                assertEquals(mean[map.textTokens() + 1 + r * g + col], grid[r][col]);
            }
        }
        assertEquals(grid[0][0], map.imageGrid(1, words.get(2))[0][0]);
    }

    @Test
    void paddingTheTextDoesNotChangeTheMap() {
        ImageRef image = world.image(SyntheticWorld.Split.TEST, 1);
        String text = world.captionsOf(SyntheticWorld.Split.TEST, 1).get(0);
        int real = tok.encode(text, 32).length();
        AttentionMap tight = predictor(real).attention(image, text);
        AttentionMap padded = predictor(32).attention(image, text);
        assertEquals(tight.tokens(), padded.tokens());
        for (int l = 0; l < tight.layers(); l++) {
            for (int h = 0; h < tight.heads(); h++) {
                float[][] a = tight.weights(l, h);
                float[][] b = padded.weights(l, h);
                for (int q = 0; q < a.length; q++) {
                    for (int k = 0; k < a.length; k++) {
                        assertEquals(a[q][k], b[q][k], 1e-5, "layer " + l + " head " + h);
                    }
                }
            }
        }
    }

    @Test
    void badIndicesNameTheValidRange() {
        AttentionMap map =
                predictor(32).attention(world.image(SyntheticWorld.Split.TEST, 0), "a red circle");
        var e = assertThrows(IndexOutOfBoundsException.class, () -> map.weights(map.layers()));
        assertTrue(e.getMessage().contains("out of [0, " + map.layers() + ")"), e.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> map.imageGrid(0, "zebra"));
        assertTrue(t.getMessage().contains("zebra"), t.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> map.imageGrid(0, map.textTokens()));
    }
}
