/**
 * VLMo's objectives: cross-entropy with ignored labels, the symmetric contrastive loss, masked
 * regression for masked image modelling, soft binary cross-entropy for VQA, and hard-negative
 * sampling for image-text matching.
 */
package dev.vlmo.model.objectives;
