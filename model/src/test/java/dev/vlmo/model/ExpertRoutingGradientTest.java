package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * In a training step every parameter a mode uses receives a non-zero gradient and every expert the
 * mode does not use receives none.
 */
class ExpertRoutingGradientTest {

    static NDManager m;
    static final VlmoConfig C = VlmoConfig.tiny().withDropPath(0.0); // L=4, VL from layer 2

    @BeforeAll
    static void open() {
        m = TestSupport.manager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    /** Runs one backward pass of a random projection of the chosen outputs. */
    private Map<String, Parameter> backward(
            BiFunction<VlmoModel, ParameterStore, List<NDArray>> outputs, NDManager s) {
        VlmoModel model = TestSupport.tinyModel(s, C, 11);
        ParameterStore ps = TestSupport.store(s);
        try (GradientCollector gc = s.getEngine().newGradientCollector()) {
            NDArray loss = null;
            for (NDArray o : outputs.apply(model, ps)) {
                NDArray w = s.randomNormal(o.getShape());
                NDArray term = o.mul(w).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
        return model.namedParameters();
    }

    private static double gradAbsSum(Parameter p) {
        try {
            NDArray g = p.getArray().getGradient();
            return g == null ? 0 : g.abs().sum().getFloat();
        } catch (IllegalStateException e) {
            return 0;
        }
    }

    private static void check(
            Map<String, Parameter> params, Predicate<String> used, Predicate<String> unused) {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            double g = gradAbsSum(e.getValue());
            if (used.test(e.getKey()) && !(g > 0)) {
                bad.add("no gradient on used " + e.getKey());
            }
            if (unused.test(e.getKey()) && g != 0) {
                bad.add("gradient " + g + " on unused " + e.getKey());
            }
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    private static boolean expert(String k, String which) {
        return k.contains(".mlp_" + which + ".") || k.contains(".norm2_" + which + ".");
    }

    private static boolean shared(String k) {
        return k.startsWith("transformer.blocks.") && !k.contains(".mlp_") && !k.contains(".norm2_")
                || k.startsWith("transformer.norm.")
                || k.equals("relative_position_bias_table");
    }

    @Test
    void imageOnlyUsesTheVisionExpertAndNothingOfLanguageOrVl() {
        try (NDManager s = m.newSubManager()) {
            NDArray img = TestSupport.images(s, C, 3);
            var p =
                    backward(
                            (model, ps) -> {
                                ImageEncoding e = model.encodeImage(ps, img, false, true);
                                return List.of(e.hidden(), e.itc());
                            },
                            s);
            check(
                    p,
                    k ->
                            shared(k)
                                    || expert(k, "imag")
                                    || k.startsWith("transformer.patch_embed")
                                    || k.equals("transformer.cls_token")
                                    || k.equals("token_type_embeddings.weight")
                                    || k.startsWith("itc_image_proj"),
                    k ->
                            expert(k, "text")
                                    || expert(k, "vl")
                                    || k.startsWith("text_embeddings")
                                    || k.startsWith("itc_text_proj")
                                    || k.startsWith("itc_vl_"));
        }
    }

    @Test
    void textOnlyUsesTheLanguageExpertAndNothingOfVisionOrVl() {
        try (NDManager s = m.newSubManager()) {
            int[] len = {5, 16, 9};
            NDArray ids = TestSupport.ids(s, C, len, 16, 4);
            NDArray mask = TestSupport.mask(s, len, 16);
            var p =
                    backward(
                            (model, ps) -> {
                                TextEncoding e = model.encodeText(ps, ids, mask, false, true);
                                return List.of(e.hidden(), e.itc());
                            },
                            s);
            check(
                    p,
                    k ->
                            shared(k)
                                    || expert(k, "text")
                                    || k.equals("text_embeddings.word_embeddings.weight")
                                    || k.equals("text_embeddings.token_type_embeddings.weight")
                                    || k.startsWith("text_embeddings.LayerNorm")
                                    || k.equals("token_type_embeddings.weight")
                                    || k.startsWith("itc_text_proj"),
                    k ->
                            expert(k, "imag")
                                    || expert(k, "vl")
                                    || k.startsWith("transformer.patch_embed")
                                    || k.equals("transformer.cls_token")
                                    // relative positions: the position table is not added
                                    || k.equals("text_embeddings.position_embeddings.weight"));
        }
    }

    @Test
    void pairModeUsesVlExpertsOnlyInTheTopLayers() {
        try (NDManager s = m.newSubManager()) {
            int[] len = {5, 16};
            NDArray ids = TestSupport.ids(s, C, len, 16, 4);
            NDArray mask = TestSupport.mask(s, len, 16);
            NDArray img = TestSupport.images(s, C, 2);
            var p =
                    backward(
                            (model, ps) -> {
                                PairEncoding e = model.encodePair(ps, ids, mask, img, 1, true);
                                return List.of(e.hidden(), e.pooled());
                            },
                            s);
            int start = C.vlStart();
            Predicate<String> top = k -> layer(k) >= start;
            Predicate<String> bottom = k -> layer(k) >= 0 && layer(k) < start;
            check(
                    p,
                    k ->
                            shared(k)
                                    || bottom.test(k) && (expert(k, "imag") || expert(k, "text"))
                                    || top.test(k) && expert(k, "vl")
                                    || k.startsWith("pooler"),
                    k -> top.test(k) && (expert(k, "imag") || expert(k, "text")));
            assertTrue(p.keySet().stream().noneMatch(k -> bottom.test(k) && expert(k, "vl")));
        }
    }

    @Test
    void vlPathOfImagesUsesVlExpertsAndBottomVisionExpertsOnly() {
        try (NDManager s = m.newSubManager()) {
            NDArray img = TestSupport.images(s, C, 3);
            var p =
                    backward(
                            (model, ps) -> List.of(model.encodeImage(ps, img, true, true).vlItc()),
                            s);
            int start = C.vlStart();
            check(
                    p,
                    k ->
                            expert(k, "vl")
                                    || layer(k) >= 0 && layer(k) < start && expert(k, "imag")
                                    || k.startsWith("itc_vl_image_proj"),
                    k ->
                            layer(k) >= start && expert(k, "imag")
                                    || expert(k, "text")
                                    || k.startsWith("itc_image_proj"));
        }
    }

    private static int layer(String k) {
        if (!k.startsWith("transformer.blocks.")) {
            return -1;
        }
        String rest = k.substring("transformer.blocks.".length());
        return Integer.parseInt(rest.substring(0, rest.indexOf('.')));
    }
}
