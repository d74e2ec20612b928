package dev.vlmo.model.nn;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * An indexed list of child blocks named {@code 0, 1, 2, ...}, like PyTorch's {@code ModuleList}.
 *
 * @param <B> the type of the children
 */
public final class ModuleList<B extends Block> extends Module {

    private final List<B> items = new ArrayList<>();

    /**
     * Creates a list.
     *
     * @param blocks the children in order
     */
    public ModuleList(List<B> blocks) {
        for (B b : blocks) {
            items.add(child(Integer.toString(items.size()), b));
        }
    }

    /**
     * Returns the i-th child.
     *
     * @param i the index
     * @return the child
     */
    public B get(int i) {
        return items.get(i);
    }

    /**
     * Returns the number of children.
     *
     * @return the size
     */
    public int size() {
        return items.size();
    }
}
