package dev.vlmo.dsl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vlmo.dsl.Schedule;
import org.junit.jupiter.api.Test;

/** Warm-up then linear or cosine decay, at the boundaries. */
class LearningRateTest {

    @Test
    void linearWarmupThenLinearDecay() {
        LearningRate lr = new LearningRate(1e-3, 10, 110, Schedule.LINEAR);
        assertEquals(0.0, lr.at(0), "the first update of a warm-up has rate 0");
        assertEquals(1e-4, lr.at(1), 1e-15);
        assertEquals(9e-4, lr.at(9), 1e-15);
        assertEquals(1e-3, lr.at(10), 1e-15, "the peak right after warm-up");
        assertEquals(0.5e-3, lr.at(60), 1e-15);
        assertEquals(1e-5, lr.at(109), 1e-15);
        assertEquals(0.0, lr.at(110), 1e-15);
        assertEquals(0.0, lr.at(500), 1e-15, "never negative after the end");
    }

    @Test
    void cosineDecay() {
        LearningRate lr = new LearningRate(2.0, 4, 20, Schedule.COSINE);
        assertEquals(1.0, lr.at(2), 1e-12);
        assertEquals(2.0, lr.at(4), 1e-12);
        assertEquals(1.0, lr.at(12), 1e-12, "half way through the decay");
        assertEquals(2.0 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), lr.at(8), 1e-12);
        assertEquals(0.0, lr.at(20), 1e-12);
    }

    @Test
    void noWarmupAndConstant() {
        LearningRate lr = new LearningRate(3.0, 0, 10, Schedule.LINEAR);
        assertEquals(3.0, lr.at(0), 1e-12, "without warm-up the first step has the peak");
        assertEquals(1.5, lr.at(5), 1e-12);
        LearningRate c = new LearningRate(3.0, 2, 10, Schedule.CONSTANT);
        assertEquals(1.5, c.at(1), 1e-12);
        assertEquals(3.0, c.at(2), 1e-12);
        assertEquals(3.0, c.at(9), 1e-12);
        LearningRate all = new LearningRate(3.0, 10, 10, Schedule.LINEAR);
        assertEquals(2.7, all.at(9), 1e-12, "a warm-up as long as the stage");
    }
}
