package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

/** The full-size base preset runs a forward pass of every mode on CPU. */
class BasePresetForwardTest {

    @Test
    void baseForwardShapesAndNoNaN() {
        VlmoConfig c = VlmoConfig.base();
        try (NDManager m = TestSupport.manager()) {
            VlmoModel model = new VlmoModel(c).initialize(m);
            ParameterStore ps = TestSupport.store(m);
            int[] len = {12};
            NDArray ids = TestSupport.ids(m, c, len, 40, 1);
            NDArray mask = TestSupport.mask(m, len, 40);
            NDArray img = TestSupport.images(m, c, 1);
            PairEncoding p = model.encodePair(ps, ids, mask, img, 1, false);
            assertEquals(new Shape(1, 40 + 197, 768), p.hidden().getShape());
            ImageEncoding ie = model.encodeImage(ps, img, true, false);
            TextEncoding te = model.encodeText(ps, ids, mask, true, false);
            assertEquals(new Shape(1, 768), ie.vlItc().getShape());
            for (NDArray a : new NDArray[] {p.hidden(), ie.hidden(), te.hidden(), ie.vlItc()}) {
                assertFalse(a.isNaN().any().getBoolean());
            }
            assertEquals(
                    new Shape(1126, 144),
                    model.namedParameters().get("relative_position_bias_table").getShape());
        }
    }
}
