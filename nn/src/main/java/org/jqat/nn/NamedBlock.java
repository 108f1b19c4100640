package org.jqat.nn;

/**
 * One stage of a model that can run on its own: running a model's blocks one after another
 * gives the model's output. The module is live (shares tensors with the model).
 *
 * @param name   the block's name: a dotted path of the model ({@code layer1.0}) or a composite
 *               name ({@code stem}, {@code head})
 * @param module the block
 */
public record NamedBlock(String name, Module module) {
}
