package dev.vlmo.dsl.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.Dsl;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import org.junit.jupiter.api.Test;

/** The held-out ITM numbers against heads whose answers are known. */
class MatchingTest {

    private static Matching.Result withItmBias(float no, float yes) {
        SyntheticWorld world = Dsl.builtIn().scenes(64, 16).world(32);
        WordPieceTokenizer tok = new WordPieceTokenizer(world.vocabulary());
        try (NDManager m = Engines.newManager(null)) {
            m.getEngine().setRandomSeed(3);
            VlmoModel model =
                    new VlmoModel(VlmoConfig.tiny().withVocabSize(tok.vocabulary().size()));
            model.initialize(m);
            Parameter w = model.namedParameters().get("itm_score.fc.weight");
            Parameter b = model.namedParameters().get("itm_score.fc.bias");
            if (no != yes) {
                // a head that ignores its input: every pair gets the same answer
                w.getArray().muli(0f);
                b.getArray().set(new float[] {no, yes});
            }
            return Matching.evaluate(model, tok, world, SyntheticWorld.Split.TEST, 32, m, 0);
        }
    }

    @Test
    void aHeadThatAlwaysSaysNoScoresTwoThirdsAndNeverRanksAPositiveFirst() {
        Matching.Result r = withItmBias(1f, 0f);
        assertEquals(16, r.images());
        assertEquals(2.0 / 3.0, r.accuracy(), 1e-9);
        assertEquals(0.0, r.randomRanking());
        assertEquals(0.0, r.hardRanking());
    }

    @Test
    void aHeadThatAlwaysSaysYesScoresOneThird() {
        assertEquals(1.0 / 3.0, withItmBias(0f, 1f).accuracy(), 1e-9);
    }

    @Test
    void anUntrainedHeadGivesFractions() {
        Matching.Result r = withItmBias(0f, 0f);
        for (double v : new double[] {r.accuracy(), r.randomRanking(), r.hardRanking()}) {
            assertTrue(v >= 0 && v <= 1, "not a fraction: " + v);
        }
        // 16 images x 10 random negatives: a ranking that is a multiple of 1/160
        assertEquals(0.0, r.randomRanking() * 160 - Math.rint(r.randomRanking() * 160), 1e-6);
    }
}
