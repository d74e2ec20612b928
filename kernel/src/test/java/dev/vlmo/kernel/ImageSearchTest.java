package dev.vlmo.kernel;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Vlmo;
import dev.vlmo.dsl.eval.Retrieval;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** {@link ImageSearch} on a run of a few steps on a small built-in world (16 test scenes). */
class ImageSearchTest {

    private static final DataRef.BuiltIn WORLD = builtIn().scenes(64, 16);

    @TempDir static Path runDir;

    private static Run run;
    private static ImageSearch search;

    @BeforeAll
    static void train() {
        run =
                Vlmo.tiny()
                        .stage(
                                visionLanguage()
                                        .data(WORLD)
                                        .steps(3)
                                        .batchSize(8)
                                        .learningRate(5e-4)
                                        .warmup(1))
                        .run(on(cpu()).quiet().runDir(runDir.resolve("run")));
        search = ImageSearch.of(run, WORLD);
    }

    @AfterAll
    static void close() {
        if (run != null) {
            run.close();
        }
    }

    private static double percent(double fraction) {
        return Math.round(fraction * 1000) / 10.0;
    }

    @Test
    void recallAtKAgreesWithTheRunsRetrievalAndGrowsToAllImages() {
        Retrieval.Recall r = run.retrieval(WORLD, SyntheticWorld.Split.TEST);
        Table t = search.recallAtK(16);
        assertEquals(16, t.rowCount());
        assertEquals(List.of("k", "text retrieval", "image retrieval", "chance"), t.columnNames());
        int[] ks = {1, 5, 10};
        double[] text = {r.textR1(), r.textR5(), r.textR10()};
        double[] image = {r.imageR1(), r.imageR5(), r.imageR10()};
        for (int q = 0; q < 3; q++) {
            int row = ks[q] - 1;
            assertEquals(ks[q], t.intColumn("k").get(row));
            assertEquals(
                    percent(text[q]), t.doubleColumn("text retrieval").get(row), "TR@" + ks[q]);
            assertEquals(
                    percent(image[q]), t.doubleColumn("image retrieval").get(row), "IR@" + ks[q]);
            assertEquals(100.0 * ks[q] / 16, t.doubleColumn("chance").get(row), 1e-9);
        }
        // every caption's image is among the best 16 of 16 images; recall never falls as k grows
        assertEquals(100.0, t.doubleColumn("image retrieval").get(15));
        for (int k = 1; k < 16; k++) {
            for (String direction : List.of("text retrieval", "image retrieval")) {
                assertTrue(
                        t.doubleColumn(direction).get(k) >= t.doubleColumn(direction).get(k - 1),
                        direction + " at k " + (k + 1));
            }
        }
    }

    @Test
    void similarityOfFirstCaptionsIsTheSubmatrixOfAllScores() {
        float[][] all = search.similarity();
        assertEquals(16, all.length);
        assertEquals(search.captions().size(), all[0].length);
        double[][] sub = search.similarity(5);
        List<String> labels = search.captionLabels(5, 200);
        for (int r = 0; r < 5; r++) {
            int caption = search.captions().indexOf(labels.get(r));
            assertEquals(r, search.imageOf(caption), "row " + r + " is a caption of image " + r);
            for (int i = 0; i < 5; i++) {
                assertEquals(all[i][caption], sub[r][i], 0.0);
            }
        }
        String shortLabel = search.captionLabels(1, 10).get(0);
        assertTrue(shortLabel.length() <= 10 && shortLabel.endsWith("..."), shortLabel);
    }

    @Test
    void aQueryRanksImagesByTheirScoreForTheText() {
        int caption = 7;
        int owner = search.imageOf(caption);
        List<ImageSearch.Hit> hits = search.query(search.captions().get(caption), 16);
        assertEquals(16, hits.size());
        float[][] all = search.similarity();
        for (int r = 0; r < hits.size(); r++) {
            ImageSearch.Hit h = hits.get(r);
            assertEquals(r + 1, h.rank());
            assertEquals(all[h.image()][caption], h.score(), 1e-4, "score of image " + h.image());
            if (r > 0) {
                assertTrue(h.score() <= hits.get(r - 1).score());
            }
        }
        assertEquals(16, hits.stream().mapToInt(ImageSearch.Hit::image).distinct().count());
        assertTrue(hits.stream().anyMatch(h -> h.image() == owner));
        assertEquals(5, search.queryTable("a red circle", 5).rowCount());
    }

    @Test
    void showDrawsTheBestImagesAndFramesTheDescribedOne() {
        int k = 16; // all images, so the described one is always there
        BufferedImage picture = search.show(k, 2, 3);
        assertEquals(8 + k * (ImageSearch.TILE + 8), picture.getWidth());
        assertEquals(2 * (24 + ImageSearch.TILE + 28), picture.getHeight());
        List<ImageSearch.Hit> hits = search.query(search.captionOf(3), k);
        int rank = hits.stream().filter(h -> h.image() == 3).findFirst().orElseThrow().rank();
        int x = 8 + (rank - 1) * (ImageSearch.TILE + 8);
        int y = 180 + 24; // second row
        assertEquals(0x00a000, picture.getRGB(x + 3, y + 3) & 0xffffff, "green frame");
        // an unframed tile shows the scene itself, scaled up by 4 from 32 pixels
        int other = rank == 1 ? 2 : 1;
        int ox = 8 + (other - 1) * (ImageSearch.TILE + 8);
        BufferedImage scene = search.image(hits.get(other - 1).image());
        assertEquals(32, scene.getWidth());
        assertEquals(scene.getRGB(10, 10), picture.getRGB(ox + 41, y + 41));
    }

    @Test
    void argumentsOutOfRangeAreRefusedWithTheRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> search.recallAtK(17));
        assertTrue(e.getMessage().contains("[1, 16]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> search.query("a", 0));
        assertThrows(IllegalArgumentException.class, () -> search.similarity(0));
        assertThrows(IllegalArgumentException.class, () -> search.show("a", 3, 16));
        assertThrows(IllegalArgumentException.class, () -> search.image(-1));
    }
}
