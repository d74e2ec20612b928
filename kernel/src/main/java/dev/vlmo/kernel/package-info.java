/**
 * The VLMo Jupyter kernel: a JShell session in the kernel's own JVM behind the Jupyter protocol,
 * its kernelspec installer and its start-up script.
 *
 * <p>{@link dev.vlmo.kernel.VlmoKernel} is the process Jupyter launches; {@link
 * dev.vlmo.kernel.KernelInstaller} writes the kernelspec that launches it; {@link
 * dev.vlmo.kernel.StartupScript} collects the snippets (imports) every session starts with.
 */
package dev.vlmo.kernel;
