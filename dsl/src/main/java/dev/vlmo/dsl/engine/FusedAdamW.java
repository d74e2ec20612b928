package dev.vlmo.dsl.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/**
 * AdamW's update in one pass over the memory of CPU tensors: each value of the parameter, its
 * gradient and its two moments is read once and the parameter and the moments written once, where
 * the update through DJL's native {@code adamUpdate} (a chain of whole-array operations, each a
 * pass of its own, plus a clone of the gradient and temporaries) goes over them about 30 times. The
 * update is bound by memory bandwidth, so the passes are its time: 70 parameters of 100,000 values
 * took 9.5 ms per update against 17-20 ms through DJL's native update ({@code bench/profile.sh
 * adamw 70 100000}, bench/README.md). Parameters small enough for their arrays to stay in the CPU's
 * cache through DJL's passes (a few MB each) gain less.
 *
 * <p>The arrays are read and written through the direct buffers DJL's PyTorch engine gives of a
 * contiguous CPU tensor's memory ({@code NDArray.toByteBuffer(true)}), in slices of a few thousand
 * values copied into scratch arrays: loops over plain arrays, which the JIT compiles far better
 * than element accesses of a buffer. Work is cut into spans of a fixed size and spread over a pool
 * of as many threads as the machine has cores; the gradients' sum of squares is added up span by
 * span in a fixed order, so the result does not depend on how the threads were scheduled.
 */
final class FusedAdamW {

    /** Values per task: large enough to amortise the hand-off, small enough to balance. */
    static final int SPAN = 1 << 16;

    /** Values per scratch slice: four of them stay in a core's L2 cache. */
    private static final int SLICE = 4096;

    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[4][SLICE]);

    private FusedAdamW() {}

    /** The pool the spans run on: daemon threads, one per core, made on first use. */
    private static final class Pool {
        static final ForkJoinPool POOL =
                new ForkJoinPool(
                        Runtime.getRuntime().availableProcessors(),
                        pool -> {
                            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                            t.setName("vlmo-adamw-" + t.getPoolIndex());
                            return t;
                        },
                        null,
                        false);
    }

    /**
     * One parameter's part of an update: {@code length} values of its group's buffers from {@code
     * at} and of its gradient from {@code gradAt}; {@code group} indexes the group's constants.
     */
    record Span(
            FloatBuffer values,
            FloatBuffer first,
            FloatBuffer second,
            int at,
            FloatBuffer grad,
            int gradAt,
            int length,
            int group) {}

    /**
     * Cuts a parameter's update into spans of at most {@link #SPAN} values.
     *
     * @param out where the spans go
     * @param values the group's values
     * @param first the group's first moments
     * @param second the group's second moments
     * @param at where the parameter starts in its group's buffers
     * @param grad the parameter's gradient
     * @param length the parameter's size
     * @param group the index of the group's constants in {@link #update}
     */
    static void cut(
            List<Span> out,
            FloatBuffer values,
            FloatBuffer first,
            FloatBuffer second,
            int at,
            FloatBuffer grad,
            int length,
            int group) {
        for (int from = 0; from < length; from += SPAN) {
            int n = Math.min(SPAN, length - from);
            out.add(new Span(values, first, second, at + from, grad, from, n, group));
        }
    }

    /**
     * The sum of the squares of the spans' gradients (before any scale), in double precision.
     *
     * @param spans the spans of one update
     * @return the sum over every gradient value
     */
    static double sumOfSquares(List<Span> spans) {
        List<Callable<Double>> tasks = new ArrayList<>(spans.size());
        for (Span s : spans) {
            tasks.add(() -> sumOfSquares(s));
        }
        double sum = 0;
        for (double part : run(tasks)) { // in span order: the same sum whatever ran first
            sum += part;
        }
        return sum;
    }

    /**
     * The constants of one update.
     *
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator
     * @param sqrtBc2 {@code sqrt(1 - beta2^t)}
     * @param scale the factor applied to every gradient (clipping; 1 for none)
     * @param decay per group: the factor its parameters are multiplied by first ({@code 1 - lr*wd})
     * @param stepSize per group: {@code lr / (1 - beta1^t)}
     */
    record Step(
            float beta1,
            float beta2,
            float eps,
            float sqrtBc2,
            float scale,
            float[] decay,
            float[] stepSize) {}

    /**
     * Applies the update to every span: {@code g *= scale; m = b1 m + (1-b1) g; v = b2 v + (1-b2)
     * g^2; p = p*decay - stepSize * m / (sqrt(v)/sqrt(bc2) + eps)}, torch.optim.AdamW's formula and
     * order of operations in single precision.
     *
     * @param spans the spans of one update
     * @param step its constants
     */
    static void update(List<Span> spans, Step step) {
        List<Callable<Void>> tasks = new ArrayList<>(spans.size());
        for (Span s : spans) {
            tasks.add(
                    () -> {
                        update(s, step);
                        return null;
                    });
        }
        run(tasks);
    }

    private static double sumOfSquares(Span s) {
        float[] g = SCRATCH.get()[0];
        double sum = 0;
        for (int from = 0; from < s.length; from += SLICE) {
            int n = Math.min(SLICE, s.length - from);
            s.grad.get(s.gradAt + from, g, 0, n);
            // eight running sums in float (independent chains the CPU overlaps), added in double
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                a0 += g[i] * g[i];
                a1 += g[i + 1] * g[i + 1];
                a2 += g[i + 2] * g[i + 2];
                a3 += g[i + 3] * g[i + 3];
                a4 += g[i + 4] * g[i + 4];
                a5 += g[i + 5] * g[i + 5];
                a6 += g[i + 6] * g[i + 6];
                a7 += g[i + 7] * g[i + 7];
            }
            for (; i < n; i++) {
                a0 += g[i] * g[i];
            }
            sum += (double) a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
        }
        return sum;
    }

    private static void update(Span s, Step step) {
        float[][] scratch = SCRATCH.get();
        float[] p = scratch[0];
        float[] g = scratch[1];
        float[] m = scratch[2];
        float[] v = scratch[3];
        float decay = step.decay[s.group];
        float stepSize = step.stepSize[s.group];
        for (int from = 0; from < s.length; from += SLICE) {
            int n = Math.min(SLICE, s.length - from);
            int at = s.at + from;
            s.values.get(at, p, 0, n);
            s.grad.get(s.gradAt + from, g, 0, n);
            s.first.get(at, m, 0, n);
            s.second.get(at, v, 0, n);
            slice(p, g, m, v, n, step, decay, stepSize);
            s.values.put(at, p, 0, n);
            s.first.put(at, m, 0, n);
            s.second.put(at, v, 0, n);
        }
    }

    /** The update of {@code n} values held in arrays: a plain array loop for the JIT. */
    private static void slice(
            float[] p,
            float[] g,
            float[] m,
            float[] v,
            int n,
            Step step,
            float decay,
            float stepSize) {
        float beta1 = step.beta1;
        float beta2 = step.beta2;
        float eps = step.eps;
        float sqrtBc2 = step.sqrtBc2;
        float scale = step.scale;
        float c1 = 1 - beta1;
        float c2 = 1 - beta2;
        for (int i = 0; i < n; i++) {
            float gi = g[i] * scale;
            float mi = m[i] * beta1 + gi * c1;
            float vi = v[i] * beta2 + gi * gi * c2;
            m[i] = mi;
            v[i] = vi;
            float denom = (float) Math.sqrt(vi) / sqrtBc2 + eps;
            p[i] = p[i] * decay - stepSize * (mi / denom);
        }
    }

    /** Runs the tasks on the pool and returns their results in the tasks' order. */
    private static <T> List<T> run(List<Callable<T>> tasks) {
        List<T> out = new ArrayList<>(tasks.size());
        try {
            for (Future<T> f : Pool.POOL.invokeAll(tasks)) {
                out.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the optimizer's update", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
        return out;
    }
}
