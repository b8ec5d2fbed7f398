"""ex04 — zero_grad ordering.

`backward()` adds into `.grad`; nothing clears it but you. That is a trap in a plain training
step and a tool here: clipping edits the gradients between backward and step, and gradient
accumulation lets several micro-batches add up before one step.

PT-BR: ex04 — a ordem do zero_grad.

O `backward()` soma em `.grad`, e só você o limpa. Num passo de treino comum isso é uma
armadilha; aqui é uma ferramenta: o clipping (corte) altera os gradientes entre o backward e o
step, e a acumulação de gradientes deixa vários micro-batches se somarem antes de um único step.
"""
import torch


def train_step_clipped(model, loss_fn, optimizer, inputs, targets, max_norm):
    """train_step with the gradients' total L2 norm (over all parameters) clipped to max_norm
    after backward and before the step. Returns the loss before the update as a Python float.

    PT-BR: train_step com a norma L2 total dos gradientes (sobre todos os parâmetros) cortada em
    max_norm depois do backward e antes do step. Devolve a perda de antes da atualização como
    float do Python.
    """
    # TODO: forward, loss, clear old gradients, backward
    # TODO(pt): forward, loss, limpe os gradientes antigos, backward
    # TODO: clip the total norm of all gradients together (torch.nn.utils.clip_grad_norm_), then step
    # TODO(pt): corte a norma total de todos os gradientes juntos (torch.nn.utils.clip_grad_norm_), depois step
    raise NotImplementedError


def train_accumulated(model, loss_fn, optimizer, batches, accum_steps):
    """Gradient accumulation: groups of accum_steps micro-batches (the last may be smaller), one
    step per group on the mean of its micro-batches' gradients. Returns every micro-batch's
    unscaled loss, in order, as floats.

    PT-BR: Acumulação de gradientes: grupos de accum_steps micro-batches (o último pode ser menor),
    um step por grupo sobre a média dos gradientes dos seus micro-batches. Devolve a perda de cada
    micro-batch, sem a divisão, na ordem, como floats.
    """
    # TODO: clear the gradients once, at the start of the group
    # TODO(pt): limpe os gradientes uma vez, no início do grupo
    # TODO: backward each loss divided by the group's own size; keep the unscaled loss
    # TODO(pt): backward de cada perda dividida pelo tamanho do próprio grupo; guarde a perda sem a divisão
    # TODO: one optimizer step per group
    # TODO(pt): um passo do otimizador por grupo
    raise NotImplementedError
