/**
 * How values look in a notebook: Tablesaw tables as HTML, charts rendered offline to PNG with
 * JFreeChart ({@link dev.vlmo.kernel.display.Charts}), and a progress bar ({@link
 * dev.vlmo.kernel.display.Progress}) that updates in place in a notebook and falls back to text on
 * a console.
 *
 * <p>{@link dev.vlmo.kernel.display.VlmoDisplayExtension} registers the renderers through the
 * jjava-jupyter extension mechanism ({@code META-INF/services/org.dflib.jjava.jupyter.Extension}),
 * so they also work in other kernels built on that library.
 */
package dev.vlmo.kernel.display;
