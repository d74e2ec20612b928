/**
 * Batches in the model's layout (text first, padded to the max text length; images as float {@code
 * [B, 3, H, W]}), the collators that build them from samples, and the multi-threaded prefetching
 * loader.
 */
package dev.vlmo.datasets.batch;
