package dev.vlmo.kernel.display;

import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.BaseKernel;

/**
 * The jjava-jupyter extension of this module, found through {@code
 * META-INF/services/org.dflib.jjava.jupyter.Extension}: registers the renderers and lets progress
 * bars reach the notebook, in this kernel or any other kernel on the same base library.
 */
public final class VlmoDisplayExtension implements Extension {

    /** Creates the extension; kernels instantiate it through {@link java.util.ServiceLoader}. */
    public VlmoDisplayExtension() {}

    @Override
    public void install(BaseKernel kernel) {
        Renderers.registerAll(kernel.getRenderer());
        NotebookDisplay.attach(kernel);
    }

    @Override
    public void uninstall(BaseKernel kernel) {
        NotebookDisplay.detach(kernel);
    }
}
