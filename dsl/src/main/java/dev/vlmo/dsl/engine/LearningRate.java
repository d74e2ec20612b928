package dev.vlmo.dsl.engine;

import dev.vlmo.dsl.Schedule;

/**
 * The learning rate of each optimizer step: linear warm-up from 0, then linear or cosine decay to 0
 * (the schedules of the reference's {@code transformers} helpers).
 */
public final class LearningRate {

    private final double peak;
    private final int warmup;
    private final int total;
    private final Schedule schedule;

    /**
     * Creates a schedule.
     *
     * @param peak the learning rate after warm-up
     * @param warmup warm-up steps
     * @param total steps of the stage
     * @param schedule the decay after warm-up
     */
    public LearningRate(double peak, int warmup, int total, Schedule schedule) {
        this.peak = peak;
        this.warmup = warmup;
        this.total = total;
        this.schedule = schedule;
    }

    /**
     * Returns the rate of the update made after {@code done} completed steps.
     *
     * @param done steps completed before this one, from 0
     * @return the learning rate
     */
    public double at(int done) {
        if (done < warmup) {
            return peak * done / Math.max(1, warmup);
        }
        double progress = (double) (done - warmup) / Math.max(1, total - warmup);
        progress = Math.min(1, progress);
        return switch (schedule) {
            case LINEAR -> peak * (1 - progress);
            case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * progress));
            case CONSTANT -> peak;
        };
    }
}
