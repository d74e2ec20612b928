/**
 * Masking for the pretraining objectives: BERT-style masked language modelling (with optional
 * whole-word masking) and BEiT's blockwise masking of image patches.
 */
package dev.vlmo.datasets.masking;
