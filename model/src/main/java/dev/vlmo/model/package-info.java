/**
 * VLMo, the vision-language Multiway Transformer, as DJL blocks: configurations and presets ({@link
 * dev.vlmo.model.VlmoConfig}), the model and its three passes ({@link dev.vlmo.model.VlmoModel}),
 * the relative position layout, the parameter summary and engine selection.
 */
package dev.vlmo.model;
