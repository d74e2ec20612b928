/** Data for VLMo: sources, formats, tokenizer, transforms, masking and batching. */
package dev.vlmo.datasets;
