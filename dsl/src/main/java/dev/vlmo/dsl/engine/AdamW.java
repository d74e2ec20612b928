package dev.vlmo.dsl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay and two parameter groups, computed exactly as {@code
 * torch.optim.AdamW}: {@code p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/bc1
 * * m / (sqrt(v)/sqrt(bc2) + eps)}.
 *
 * <p>Its state (moments and step count) is saved with checkpoints, so a resumed run continues
 * exactly. DJL's own AdamW has a single weight decay and keeps its state private, which rules out
 * both parameter groups and resumable checkpoints.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Map<String, NDArray> first = new LinkedHashMap<>();
    private final Map<String, NDArray> second = new LinkedHashMap<>();
    private long step;
    private boolean nativeUpdate = true;

    /**
     * Creates the optimizer.
     *
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator
     */
    public AdamW(double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Chooses between DJL's native per-parameter update on the PyTorch engine (the default) and the
     * array-operation form every engine supports; both compute the same update.
     *
     * @param use whether to use the native update where the engine has one
     * @return this optimizer
     */
    public AdamW nativeUpdate(boolean use) {
        this.nativeUpdate = use;
        return this;
    }

    /**
     * Returns the number of updates made.
     *
     * @return steps
     */
    public long step() {
        return step;
    }

    /**
     * Applies one update to every parameter, in place.
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lr the learning rate of this step
     */
    public void update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            double lr) {
        update(params, grads, decays, Map.of(), lr);
    }

    /**
     * Applies one update to every parameter, in place, some parameters learning at a multiple of
     * the rate (a fine-tuned head's {@code lr_mult}).
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lrScales learning-rate multiplier per name (1 when absent)
     * @param baseLr the learning rate of this step
     */
    public void update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            Map<String, Double> lrScales,
            double baseLr) {
        update(params, grads, decays, lrScales, baseLr, 1.0);
    }

    /**
     * Applies one update to every parameter, in place, with the gradients multiplied by {@code
     * gradScale} first (gradient clipping by the global norm folded into the update, so the
     * gradients are not rewritten).
     *
     * <p>On DJL's PyTorch engine each parameter is updated by one native call (DJL's {@code
     * adamUpdate}, given a bias-corrected rate and epsilon so that its formula equals {@code
     * torch.optim.AdamW}'s), which also sets the parameter's own gradient to zero; other engines
     * use the same formula through array operations and leave the gradients alone.
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lrScales learning-rate multiplier per name (1 when absent)
     * @param baseLr the learning rate of this step
     * @param gradScale the factor applied to every gradient (1 for none)
     * @return whether the update also set every gradient to zero (DJL's native update on PyTorch)
     */
    public boolean update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            Map<String, Double> lrScales,
            double baseLr,
            double gradScale) {
        step++;
        boolean cleared = true;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            double lr = baseLr * lrScales.getOrDefault(name, 1.0);
            NDArray g = grads.get(name);
            if (g == null) {
                throw new IllegalArgumentException("no gradient given for parameter " + name);
            }
            NDArray p = e.getValue();
            NDArray m = first.computeIfAbsent(name, k -> zerosLike(p));
            NDArray v = second.computeIfAbsent(name, k -> zerosLike(p));
            double wd = decays.getOrDefault(name, 0.0);
            if (nativeUpdate && "PyTorch".equals(p.getManager().getEngine().getEngineName())) {
                // torch: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps); multiplying through by
                // sqrt(bc2) gives DJL's form p -= a * m / (sqrt(v) + e) with the values below
                double sq = Math.sqrt(bc2);
                p.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(p, g, m, v),
                                new NDList(p),
                                (float) lr,
                                (float) (lr * sq / bc1),
                                (float) wd,
                                (float) gradScale,
                                -1f, // no element-wise clipping
                                (float) beta1,
                                (float) beta2,
                                (float) (eps * sq),
                                false,
                                true); // decoupled weight decay: p -= lr * wd * p
            } else {
                arrayUpdate(p, g, m, v, lr, wd, bc1, bc2, gradScale);
                cleared = false;
            }
        }
        return cleared;
    }

    /** The same update through array operations, for engines without DJL's native one. */
    private void arrayUpdate(
            NDArray param,
            NDArray g,
            NDArray m,
            NDArray v,
            double lr,
            double wd,
            double bc1,
            double bc2,
            double gradScale) {
        // a detached view shares the parameter's storage: updating it in place is allowed
        // even on threads where the engine records gradients (PyTorch's grad mode is per
        // thread, and notebook or recipe threads start with it on)
        NDArray p = param.stopGradient();
        // every temporary is closed here: they belong to the parameters' long-lived manager
        if (wd > 0) {
            p.muli((float) (1 - lr * wd)); // as torch: one pass, no temporary
        }
        try (NDArray g1 = g.mul((float) ((1 - beta1) * gradScale));
                NDArray g2 = g.square()) {
            m.muli((float) beta1).addi(g1);
            g2.muli((float) ((1 - beta2) * gradScale * gradScale));
            v.muli((float) beta2).addi(g2);
        }
        try (NDArray denom = v.sqrt();
                NDArray step = m.div(denom.divi((float) Math.sqrt(bc2)).addi((float) eps))) {
            step.muli((float) (lr / bc1));
            p.subi(step);
        }
        p.close();
    }

    private static NDArray zerosLike(NDArray p) {
        NDArray z = p.zerosLike();
        z.detach();
        return z;
    }

    /**
     * Writes the moments and the step count.
     *
     * @param file the file to write
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        NDList list = new NDList();
        for (String k : first.keySet()) {
            NDArray m = first.get(k);
            m.setName("m:" + k);
            NDArray v = second.get(k);
            v.setName("v:" + k);
            list.add(m);
            list.add(v);
        }
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file))) {
            os.write(Long.toString(step).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            os.write('\n');
            if (!list.isEmpty()) {
                // nothing before the first update (every step so far skipped): the count alone
                list.encode(os);
            }
        }
    }

    /**
     * Reads what {@link #save(Path)} wrote.
     *
     * @param file the file
     * @param manager the manager that owns the moments
     * @throws IOException if reading fails
     */
    public void load(Path file, NDManager manager) throws IOException {
        try (InputStream is = new BufferedInputStream(Files.newInputStream(file))) {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = is.read()) != '\n') {
                if (c < 0) {
                    throw new IOException(file + " ends before its step count");
                }
                sb.append((char) c);
            }
            step = Long.parseLong(sb.toString());
            first.clear();
            second.clear();
            is.mark(1);
            if (is.read() < 0) {
                if (step > 0) {
                    throw new IOException(
                            file
                                    + " ends after its step count ("
                                    + step
                                    + " updates) without the moments: it is truncated");
                }
                return; // saved before the first update
            }
            is.reset();
            NDList list;
            try {
                list = NDList.decode(manager, is);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IOException(
                        file + " is damaged or truncated (" + e.getMessage() + ")", e);
            }
            List<NDArray> arrays = list;
            for (NDArray a : arrays) {
                String n = a.getName();
                a.detach();
                if (n.startsWith("m:")) {
                    first.put(n.substring(2), a);
                } else if (n.startsWith("v:")) {
                    second.put(n.substring(2), a);
                } else {
                    throw new IOException(file + " holds an unknown optimizer array " + n);
                }
            }
        }
    }
}
