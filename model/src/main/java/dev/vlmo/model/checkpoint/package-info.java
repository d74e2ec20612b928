/**
 * Reading and writing PyTorch checkpoint files ({@code torch.save}'s zip format) without Python.
 *
 * <p>{@link dev.vlmo.model.checkpoint.TorchCheckpoint} turns a {@code .pt} file into an ordered map
 * of parameter name to {@link dev.vlmo.model.checkpoint.TensorData} and back. The pickle inside the
 * archive is read and written with {@code net.razorvine:pickle}, a maintained implementation of
 * Python's pickle protocol for the JVM, extended here only where PyTorch needs it: the tensor
 * rebuild calls, the persistent ids that point at the raw storages, and insertion order of
 * dictionaries.
 */
package dev.vlmo.model.checkpoint;
