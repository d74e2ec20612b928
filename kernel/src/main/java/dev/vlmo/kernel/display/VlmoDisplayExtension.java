package dev.vlmo.kernel.display;

import dev.vlmo.dsl.ProgressListener;
import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.BaseKernel;

/**
 * The jjava-jupyter extension of this module, found through {@code
 * META-INF/services/org.dflib.jjava.jupyter.Extension}: registers the renderers (tables, charts,
 * DSL descriptions and runs), lets progress bars reach the notebook and makes DSL runs report their
 * training through them, in this kernel or any other kernel on the same base library.
 */
public final class VlmoDisplayExtension implements Extension {

    /** Creates the extension; kernels instantiate it through {@link java.util.ServiceLoader}. */
    public VlmoDisplayExtension() {}

    @Override
    public void install(BaseKernel kernel) {
        Renderers.registerAll(kernel.getRenderer());
        DslRenderers.registerAll(kernel.getRenderer());
        NotebookDisplay.attach(kernel);
        ProgressListener.setDefault(TrainingProgress::new);
    }

    @Override
    public void uninstall(BaseKernel kernel) {
        NotebookDisplay.detach(kernel);
        ProgressListener.setDefault(null);
    }
}
