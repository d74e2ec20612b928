/**
 * PyTorch checkpoint files ({@code torch.save}'s zip format) without Python, and the reference
 * checkpoints' weights in and out of a {@link dev.vlmo.model.VlmoModel}.
 *
 * <p>{@link dev.vlmo.model.checkpoint.TorchCheckpoint} turns a {@code .pt} file into an ordered map
 * of parameter name to {@link dev.vlmo.model.checkpoint.TensorData} and back. The pickle inside the
 * archive is read and written with {@code net.razorvine:pickle}, a maintained implementation of
 * Python's pickle protocol for the JVM, extended here only where PyTorch needs it: the tensor
 * rebuild calls, the persistent ids that point at the raw storages, and insertion order of
 * dictionaries.
 *
 * <p>{@link dev.vlmo.model.checkpoint.CheckpointImporter} loads a reference (or BEiT) state dict
 * into a model, strictly or leniently, with the reference loader's changes for another image size
 * ({@link dev.vlmo.model.checkpoint.PositionInterpolation}), another text length and the NLVR2
 * token type; {@link dev.vlmo.model.checkpoint.CheckpointExporter} writes a model back as a state
 * dict the reference loads.
 */
package dev.vlmo.model.checkpoint;
