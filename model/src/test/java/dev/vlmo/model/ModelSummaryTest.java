package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelSummaryTest {

    private static void assertNear(double expected, long actual, String what) {
        double rel = Math.abs(actual - expected) / expected;
        assertTrue(rel < 0.005, what + ": " + actual + " is " + rel * 100 + "% from " + expected);
    }

    @Test
    void backboneCountsMatchTheReferenceReadme() {
        assertNear(175e6, ModelSummary.of(VlmoConfig.base()).backboneParameters(), "base");
        assertNear(167e6, ModelSummary.of(VlmoConfig.basePlus()).backboneParameters(), "base+");
        assertNear(562e6, ModelSummary.of(VlmoConfig.large()).backboneParameters(), "large");
    }

    @Test
    void summaryShowsTheRelativeTableShape() {
        String text = ModelSummary.of(VlmoConfig.base()).toString();
        assertTrue(text.contains("table [1126, 144]"), text);
        assertTrue(text.contains("backbone (embeddings + encoder)"), text);
    }

    @Test
    void groupsAddUpToTheTotal() {
        ModelSummary s = ModelSummary.of(VlmoConfig.tiny().withVqaLabels(10).withNlvr2(true));
        long sum =
                s.rows().stream()
                        .filter(r -> !r.component().startsWith("backbone"))
                        .filter(r -> !r.component().equals("total"))
                        .mapToLong(ModelSummary.Row::parameters)
                        .sum();
        assertEquals(s.totalParameters(), sum);
        VlmoModel model = new VlmoModel(VlmoConfig.tiny().withVqaLabels(10).withNlvr2(true));
        assertEquals(model.parameterCount(), s.totalParameters());
    }
}
