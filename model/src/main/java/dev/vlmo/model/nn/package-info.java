/**
 * The layers VLMo is built from, each a DJL block whose child and parameter names are those of the
 * reference implementation's PyTorch modules: linear, layer norm, embedding, attention,
 * feed-forward experts, the Multiway block, patch and text embeddings, the backbone and the heads.
 */
package dev.vlmo.model.nn;
