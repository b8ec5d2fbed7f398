"""The longer explanation of every curriculum item, for `tocha hint ITEM` and the HTML report.

Each entry says, in English and pt-BR: what the item is and why it matters (`concept`), the idea
from the lessons it comes from (`lesson`), and what to look at when it fails (`look`, one point
a line). Nothing here is solution code: names of PyTorch functions, yes; the answer, no.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from grading.text import Text

LESSONS = {
    "rede-soma": Text("lesson “Explicando nossa rede densa” (RedeSoma, a net that adds two numbers)",
                      "lição “Explicando nossa rede densa” (RedeSoma, a rede que soma dois números)"),
    "xor": Text("lesson “Anatomia de uma rede neural | SimpleNet” (XOR)",
                "lição “Anatomia de uma rede neural | SimpleNet” (XOR)"),
    "mnist": Text("lesson “Redes Neurais (MNIST)” (MyNet)",
                  "lição “Redes Neurais (MNIST)” (MyNet)"),
    "building": Text("lesson “Building Neural Networks with PyTorch” (tensors, autograd, regression)",
                     "lição “Building Neural Networks with PyTorch” (tensores, autograd, regressão)"),
    "modulo4": Text("lesson “Módulo 4” (the training loop, optimizers, no_grad, clipping)",
                    "lição “Módulo 4” (o laço de treino, otimizadores, no_grad, clipping)"),
}


@dataclass(frozen=True)
class Explanation:
    module: str
    item: str
    lesson_key: str
    concept: Text
    lesson: Text
    look: Text  # one point a line

    @property
    def lesson_title(self) -> Text:
        return LESSONS[self.lesson_key]

    def points(self, lang: str) -> list[str]:
        return [line.strip() for line in self.look.get(lang).splitlines() if line.strip()]


_TABLE: list[Explanation] = []


def _add(module, item, lesson_key, concept, lesson, look):
    _TABLE.append(Explanation(module, item, lesson_key, Text(*concept), Text(*lesson), Text(*look)))


# ---------------------------------------------------------------- ex01_autograd

_add("ex01_autograd", "gradients", "building", (
    "Autograd records every operation done on tensors that require grad, so one backward pass "
    "gives the derivative of a scalar with respect to each input. `gradients` packages that: "
    "hand it a function and its inputs, get one exact derivative per input back.",
    "O autograd registra cada operação feita com tensores que exigem gradiente, e um único "
    "backward dá a derivada de um escalar em relação a cada entrada. `gradients` empacota isso: "
    "você passa uma função e suas entradas e recebe uma derivada exata por entrada.",
), (
    "The lesson differentiates x² by hand and then lets autograd do it: requires_grad marks what "
    "to follow, the graph is built while the function runs, backward walks it back.",
    "A lição deriva x² à mão e depois deixa o autograd fazer: requires_grad marca o que seguir, o "
    "grafo nasce enquanto a função roda e o backward o percorre de volta.",
), (
    "Work on fresh copies of the inputs that require grad; the caller's tensors must stay as they were.\n"
    "Numbers become 0-dim float32 tensors; tensors keep their shape and dtype.\n"
    "An input the function never touches has no gradient in the graph: give it zeros.\n"
    "Return detached tensors, and make sure a second call gives the same answer (nothing accumulates).",
    "Trabalhe com cópias novas das entradas que exigem gradiente; os tensores de quem chamou ficam como estavam.\n"
    "Números viram tensores float32 de dimensão 0; tensores mantêm formato e dtype.\n"
    "Uma entrada que a função não usa não tem gradiente no grafo: devolva zeros.\n"
    "Devolva tensores desconectados do grafo (detach) e garanta que uma segunda chamada dê o mesmo resultado (nada acumula).",
))

_add("ex01_autograd", "gradient_descent", "building", (
    "Gradient descent walks downhill: compute the slope at x, take a small step against it, "
    "repeat. Autograd supplies the slope; you supply the loop and the step.",
    "A descida de gradiente desce a ladeira: calcula a inclinação em x, dá um passo pequeno "
    "contra ela e repete. O autograd fornece a inclinação; você fornece o laço e o passo.",
), (
    "The lesson minimises x² step by step and shows the two traps: the update must happen with "
    "autograd switched off (torch.no_grad), and .grad keeps adding up unless you clear it.",
    "A lição minimiza x² passo a passo e mostra as duas armadilhas: a atualização acontece com o "
    "autograd desligado (torch.no_grad), e .grad continua somando se você não o limpar.",
), (
    "Exactly n_steps updates, each x ← x − lr·∇f(x).\n"
    "The update itself inside torch.no_grad(), so x stays a leaf.\n"
    "Clear x.grad after every update (zero it or set it to None).\n"
    "Start from a copy: the caller's x0 must not change; return x detached, shaped like x0.",
    "Exatamente n_steps atualizações, cada uma x ← x − lr·∇f(x).\n"
    "A atualização dentro de torch.no_grad(), para x continuar folha.\n"
    "Limpe x.grad depois de cada atualização (zere ou atribua None).\n"
    "Comece de uma cópia: o x0 de quem chamou não muda; devolva x desconectado do grafo (detach), com o formato de x0.",
))

# ---------------------------------------------------------------- ex02_forward

_add("ex02_forward", "linear_forward", "building", (
    "A linear model is a matrix product plus a bias: every row of X (one sample) is weighted by "
    "w and shifted by b. Shapes carry the meaning: N samples of D features give N predictions.",
    "Um modelo linear é um produto de matrizes mais um viés: cada linha de X (uma amostra) é "
    "ponderada por w e deslocada por b. Os formatos carregam o significado: N amostras de D "
    "atributos dão N predições.",
), (
    "The lesson writes linear regression with raw tensors before using nn.Linear, to show that a "
    "layer is nothing more than this product and sum.",
    "A lição escreve a regressão linear com tensores crus antes de usar nn.Linear, para mostrar "
    "que uma camada não passa desse produto e dessa soma.",
), (
    "Use the matrix product (@ or torch.matmul), not an element-wise product.\n"
    "The result must be (N, 1): check what broadcasting does with b.\n"
    "Gradients must flow back to w and b: no torch.no_grad, no .detach(), no .item().",
    "Use o produto de matrizes (@ ou torch.matmul), não o produto elemento a elemento.\n"
    "O resultado deve ser (N, 1): veja o que o broadcasting faz com b.\n"
    "Os gradientes devem voltar até w e b: sem torch.no_grad, sem .detach(), sem .item().",
))

_add("ex02_forward", "SumNet", "rede-soma", (
    "A first nn.Module: layers are created in __init__ (so their weights are registered as "
    "parameters) and wired together in forward. Two layers with a ReLU between them can learn "
    "to add two numbers.",
    "Um primeiro nn.Module: as camadas nascem no __init__ (assim seus pesos ficam registrados "
    "como parâmetros) e são ligadas no forward. Duas camadas com uma ReLU no meio aprendem a "
    "somar dois números.",
), (
    "RedeSoma: 2 inputs, a hidden layer of 10, 1 output; the lesson explains why the hidden "
    "layer needs a non-linearity and why the output has none (it is a regression).",
    "RedeSoma: 2 entradas, uma camada oculta de 10, 1 saída; a lição explica por que a camada "
    "oculta precisa de uma não linearidade e por que a saída não tem nenhuma (é uma regressão).",
), (
    "Call super().__init__() first, then create the layers with the sizes given to __init__.\n"
    "ReLU on the hidden layer only; the output stays raw.\n"
    "forward receives a batch (N, n_in) and returns (N, n_out).",
    "Chame super().__init__() primeiro e crie as camadas com os tamanhos recebidos no __init__.\n"
    "ReLU só na camada oculta; a saída fica crua.\n"
    "forward recebe um batch (N, n_in) e devolve (N, n_out).",
))

_add("ex02_forward", "XorNet", "xor", (
    "XOR cannot be separated by one straight line, so a network needs a hidden layer with a "
    "non-linear activation to solve it. A sigmoid at the output turns the score into a "
    "probability between 0 and 1.",
    "O XOR não se separa com uma única reta, então a rede precisa de uma camada oculta com "
    "ativação não linear. Uma sigmoide na saída transforma a pontuação numa probabilidade entre 0 e 1.",
), (
    "SimpleNet (2-4-1) learns XOR; its code applied no activation to the hidden layer, which "
    "makes the whole network linear. This exercise puts the sigmoid back.",
    "A SimpleNet (2-4-1) aprende o XOR; o código dela não aplicava ativação na camada oculta, o "
    "que deixa a rede inteira linear. Este exercício devolve a sigmoide ao lugar.",
), (
    "Layers: hidden 2→n_hidden, output n_hidden→1.\n"
    "Sigmoid after the hidden layer and after the output layer.\n"
    "The output is a probability in (0, 1), shape (N, 1).",
    "Camadas: hidden 2→n_hidden, output n_hidden→1.\n"
    "Sigmoide depois da camada oculta e depois da camada de saída.\n"
    "A saída é uma probabilidade em (0, 1), formato (N, 1).",
))

_add("ex02_forward", "MnistMLP", "mnist", (
    "A multilayer perceptron for digits: each 28×28 image is flattened into 784 numbers and "
    "squeezed through 300, 256 and 128 units down to 10 scores, one per digit.",
    "Um perceptron multicamadas para dígitos: cada imagem 28×28 vira 784 números e passa por "
    "300, 256 e 128 unidades até 10 pontuações, uma por dígito.",
), (
    "MyNet flattens the batch with view(-1, 784) and returns raw scores; CrossEntropyLoss "
    "applies the softmax itself, so the model must not.",
    "A MyNet achata o batch com view(-1, 784) e devolve pontuações cruas; a CrossEntropyLoss "
    "já aplica o softmax, então o modelo não deve aplicá-lo.",
), (
    "Flatten each sample, not the whole batch: the batch dimension must survive (even N = 1).\n"
    "Accept (N, 1, 28, 28), (N, 28, 28) and (N, 784).\n"
    "ReLU after the first three layers; the last layer gives logits: no softmax, no ReLU.",
    "Achate cada amostra, não o batch inteiro: a dimensão do batch deve sobreviver (mesmo N = 1).\n"
    "Aceite (N, 1, 28, 28), (N, 28, 28) e (N, 784).\n"
    "ReLU depois das três primeiras camadas; a última dá logits: sem softmax, sem ReLU.",
))

_add("ex02_forward", "MLP", "modulo4", (
    "The general two-layer perceptron: input size, hidden size and output size are parameters, "
    "so the same class serves any small classification or regression problem.",
    "O perceptron de duas camadas genérico: tamanhos de entrada, oculto e de saída são "
    "parâmetros, e a mesma classe serve a qualquer problema pequeno de classificação ou regressão.",
), (
    "The lesson builds an MLP from nn.Module as the template for every model that follows: "
    "layers in __init__, the computation in forward.",
    "A lição monta um MLP a partir de nn.Module como modelo para todos os que vêm depois: "
    "camadas no __init__, a conta no forward.",
), (
    "Two Linear layers sized from the three arguments.\n"
    "ReLU between them, nothing after the last one.",
    "Duas camadas Linear com tamanhos vindos dos três argumentos.\n"
    "ReLU entre elas, nada depois da última.",
))

# ---------------------------------------------------------------- ex03_training

_add("ex03_training", "train_step", "modulo4", (
    "One training step is always the same five moves: forward, loss, clear the old gradients, "
    "backward, optimizer step. Their order matters: PyTorch adds new gradients to whatever is "
    "already in .grad.",
    "Um passo de treino é sempre a mesma sequência de cinco etapas: forward, loss, limpar os "
    "gradientes antigos, backward, passo do otimizador. A ordem importa: o PyTorch soma os "
    "gradientes novos ao que já está em .grad.",
), (
    "The lesson runs backward twice without zeroing and watches the gradient double; that is why "
    "every loop clears gradients before backward.",
    "A lição roda o backward duas vezes sem zerar e vê o gradiente dobrar; é por isso que todo "
    "laço limpa os gradientes antes do backward.",
), (
    "Clear the gradients before backward, not between backward and step.\n"
    "Call optimizer.step() exactly once.\n"
    "Return the loss of this forward pass as a Python float (.item()), not a tensor.",
    "Limpe os gradientes antes do backward, não entre o backward e o step.\n"
    "Chame optimizer.step() exatamente uma vez.\n"
    "Devolva a loss deste forward como float do Python (.item()), não um tensor.",
))

_add("ex03_training", "train_epoch", "modulo4", (
    "An epoch is one pass over the whole data set, batch by batch. The number it reports is the "
    "mean loss per sample, so a smaller last batch must weigh less.",
    "Uma época é uma passada pelo conjunto de dados inteiro, batch a batch. O número que ela "
    "informa é a loss média por amostra, então um último batch menor deve pesar menos.",
), (
    "The lesson's loop puts the model in training mode, moves each batch to the device and "
    "accumulates the loss to draw the loss curve.",
    "O laço da lição coloca o modelo em modo de treino, move cada batch para o dispositivo e "
    "acumula a loss para desenhar a curva de loss.",
), (
    "model.train() before the loop (a previous evaluation may have left it in eval mode).\n"
    "Move inputs and targets to device; reuse train_step.\n"
    "Weight each batch loss by its batch size and divide by the number of samples, not of batches.",
    "model.train() antes do laço (uma avaliação anterior pode ter deixado o modelo em eval).\n"
    "Mova entradas e alvos para device; reaproveite train_step.\n"
    "Pondere a loss de cada batch pelo tamanho dele e divida pelo número de amostras, não de batches.",
))

_add("ex03_training", "fit", "modulo4", (
    "Training is epochs repeated; keeping each epoch's loss gives the loss curve, the first "
    "thing to look at when a model does not learn.",
    "Treinar é repetir épocas; guardar a loss de cada época dá a curva de loss, a primeira "
    "coisa a olhar quando um modelo não aprende.",
), (
    "The lesson plots the training loss epoch by epoch to see whether learning goes well.",
    "A lição plota a loss de treino época a época para ver se o aprendizado vai bem.",
), (
    "Exactly `epochs` epochs, one train_epoch call each.\n"
    "Return a list of floats, one per epoch, in order.",
    "Exatamente `epochs` épocas, uma chamada de train_epoch cada.\n"
    "Devolva uma lista de floats, uma por época, em ordem.",
))

_add("ex03_training", "train_bgd", "building", (
    "Batch gradient descent uses all the data in every step: one forward, one backward and one "
    "update per epoch, with an optimizer doing the update.",
    "A descida de gradiente em batch usa todos os dados em cada passo: um forward, um backward e "
    "uma atualização por época, com um otimizador fazendo a atualização.",
), (
    "The lesson compares the hand-written loop with the high-level one (nn + optim) and shows "
    "they take the same steps.",
    "A lição compara o laço escrito à mão com o de alto nível (nn + optim) e mostra que dão os "
    "mesmos passos.",
), (
    "One step per epoch on all of X.\n"
    "Keep each epoch's loss from before its update.\n"
    "Clear the gradients every epoch (before backward or after the step).",
    "Um passo por época usando todo o X.\n"
    "Guarde a loss de cada época de antes da atualização.\n"
    "Limpe os gradientes a cada época (antes do backward ou depois do step).",
))

_add("ex03_training", "linear_regression_gd", "building", (
    "Linear regression with nothing but tensors and autograd: you create the weights, compute "
    "the mean squared error, ask autograd for the gradients and move the weights yourself.",
    "Regressão linear só com tensores e autograd: você cria os pesos, calcula o erro quadrático "
    "médio, pede os gradientes ao autograd e move os pesos você mesmo.",
), (
    "The lesson's step-by-step loop: predict, measure the error, backward, update under no_grad, "
    "zero the gradients; then the same thing with nn.Linear and optim.",
    "O laço passo a passo da lição: prever, medir o erro, backward, atualizar sob no_grad, zerar "
    "os gradientes; depois a mesma coisa com nn.Linear e optim.",
), (
    "Seed first, then create w with randn and b as zero, both requiring grad.\n"
    "Update w and b under torch.no_grad(), then clear both gradients.\n"
    "No nn, no optim; return w and b detached and each epoch's loss from before its update.",
    "Primeiro a semente, depois w com randn e b zero, ambos exigindo gradiente.\n"
    "Atualize w e b sob torch.no_grad() e depois limpe os dois gradientes.\n"
    "Sem nn, sem optim; devolva w e b desconectados do grafo (detach) e a loss de cada época de antes da atualização.",
))

# ---------------------------------------------------------------- ex04_gradients

_add("ex04_gradients", "train_step_clipped", "modulo4", (
    "When gradients explode, one huge step can ruin the weights. Clipping rescales all the "
    "gradients together so that their total length never exceeds a limit.",
    "Quando os gradientes explodem, um passo enorme pode estragar os pesos. O clipping "
    "reescala todos os gradientes juntos para que o comprimento total nunca passe de um limite.",
), (
    "The lesson shows exploding gradients and torch.nn.utils.clip_grad_norm_ as the cure.",
    "A lição mostra gradientes explodindo e torch.nn.utils.clip_grad_norm_ como remédio.",
), (
    "Clip after backward and before the step: earlier there is nothing to clip, later it is too late.\n"
    "The norm is over all parameters at once, not one parameter at a time.\n"
    "Otherwise it is train_step: clear first, return the loss as a float.",
    "Faça o clipping depois do backward e antes do step: antes não há o que cortar, depois é tarde.\n"
    "A norma é sobre todos os parâmetros juntos, não um parâmetro por vez.\n"
    "No resto é o train_step: limpe primeiro, devolva a loss como float.",
))

_add("ex04_gradients", "train_accumulated", "modulo4", (
    "Gradient accumulation simulates a big batch with several small ones: backward on each "
    "micro-batch lets the gradients add up, and one optimizer step uses their sum.",
    "A acumulação de gradientes simula um batch grande com vários pequenos: o backward de cada "
    "micro-batch deixa os gradientes somarem, e um único passo do otimizador usa essa soma.",
), (
    "The lesson shows that .grad accumulates across backward calls; here that habit becomes a "
    "tool instead of a bug.",
    "A lição mostra que .grad acumula entre chamadas de backward; aqui esse hábito vira "
    "ferramenta em vez de defeito.",
), (
    "Group the micro-batches in order; the last group may be smaller.\n"
    "Clear at the start of each group, step once at its end.\n"
    "Divide each loss by the size of its own group before backward, so the step sees a mean.\n"
    "Return every micro-batch's unscaled loss as a float.",
    "Agrupe os micro-batches em ordem; o último grupo pode ser menor.\n"
    "Limpe no início de cada grupo e dê um único step no fim.\n"
    "Divida cada loss pelo tamanho do próprio grupo antes do backward, para o step ver uma média.\n"
    "Devolva a loss de cada micro-batch, sem a divisão, como float.",
))

# ---------------------------------------------------------------- ex05_inference

_add("ex05_inference", "predict", "modulo4", (
    "Prediction needs no gradients: switching autograd off saves memory and time, and "
    "evaluation mode makes layers such as dropout and batch norm behave for inference.",
    "Predizer não precisa de gradientes: desligar o autograd economiza memória e tempo, e o "
    "modo de avaliação faz camadas como dropout e batch norm se comportarem para inferência.",
), (
    "The lesson validates under torch.no_grad() and picks the class with the largest score, as "
    "the MNIST lesson does with torch.max.",
    "A lição valida sob torch.no_grad() e escolhe a classe de maior pontuação, como a lição do "
    "MNIST faz com torch.max.",
), (
    "model.eval() and torch.no_grad() (or inference_mode) around the forward pass.\n"
    "Put the model back in the mode it was in on entry.\n"
    "argmax over dim 1; return int64 on the CPU.",
    "model.eval() e torch.no_grad() (ou inference_mode) em volta do forward.\n"
    "Devolva o modelo ao modo em que ele estava na entrada.\n"
    "argmax na dim 1; devolva int64 na CPU.",
))

_add("ex05_inference", "evaluate", "modulo4", (
    "Evaluation measures a model on data without changing it: the mean loss per sample and the "
    "fraction of correct predictions.",
    "A avaliação mede um modelo em dados sem alterá-lo: a loss média por amostra e a fração de "
    "predições corretas.",
), (
    "The lesson's validation loop runs after each training epoch under no_grad, to compare "
    "training and validation loss.",
    "O laço de validação da lição roda depois de cada época de treino sob no_grad, para "
    "comparar loss de treino e de validação.",
), (
    "Evaluation mode and no autograd; restore the mode on return.\n"
    "Weight each batch loss by its size; divide by the number of samples.\n"
    "Accuracy: count argmax == target over all samples; return plain floats.",
    "Modo de avaliação e sem autograd; restaure o modo na saída.\n"
    "Pondere a loss de cada batch pelo tamanho dele; divida pelo número de amostras.\n"
    "Acurácia: conte argmax == alvo em todas as amostras; devolva floats simples.",
))

# ---------------------------------------------------------------- ex06_inplace

_add("ex06_inplace", "exp_plus_one", "building", (
    "Some operations keep a tensor for their backward pass; exp keeps its own output. Writing "
    "over that output in place destroys what backward needs.",
    "Algumas operações guardam um tensor para o backward; exp guarda a própria saída. "
    "Sobrescrever essa saída in-place destrói aquilo de que o backward precisa.",
), (
    "The lesson's z = t.exp(); z += 1 fails at backward with a version-counter error; the fix is "
    "an out-of-place operation.",
    "O z = t.exp(); z += 1 da lição falha no backward com um erro de versão; a correção é uma "
    "operação que cria um tensor novo (sem in-place).",
), (
    "Avoid +=, add_ and friends on exp's result.\n"
    "Do not modify t either.",
    "Evite +=, add_ e parecidos no resultado do exp.\n"
    "Também não modifique t.",
))

_add("ex06_inplace", "scaled_sigmoid", "building", (
    "sigmoid, like exp, saves its output for backward, so scaling that output in place breaks "
    "the gradient.",
    "A sigmoide, como o exp, guarda a saída para o backward, então escalar essa saída in-place "
    "quebra o gradiente.",
), (
    "The lesson explains which operations save their input (cos) and which save their output "
    "(exp, sigmoid): only overwriting what was saved breaks backward.",
    "A lição explica quais operações guardam a entrada (cos) e quais guardam a saída (exp, "
    "sigmoid): só sobrescrever o que foi guardado quebra o backward.",
), (
    "Multiply out of place.\n"
    "When scale is a tensor that requires grad, it must receive a gradient too.",
    "Multiplique criando um tensor novo (sem in-place).\n"
    "Quando scale é um tensor que exige gradiente, ele também deve receber gradiente.",
))

_add("ex06_inplace", "sgd_update_", "building", (
    "An optimizer's step is an in-place update of leaf tensors, done where autograd is not "
    "recording. Writing it yourself shows what optimizer.step() and zero_grad() do.",
    "O passo de um otimizador é uma atualização in-place de tensores folha, feita onde o "
    "autograd não está registrando. Escrevê-lo você mesmo mostra o que optimizer.step() e zero_grad() fazem.",
), (
    "The lesson updates weights under torch.no_grad(): an in-place change to a leaf that "
    "requires grad is refused anywhere else.",
    "A lição atualiza os pesos sob torch.no_grad(): uma mudança in-place numa folha que exige "
    "gradiente é recusada em qualquer outro lugar.",
), (
    "In place, so the parameters stay the same tensor objects (an optimizer holds them).\n"
    "Skip parameters whose .grad is None.\n"
    "Clear each gradient after its update.",
    "In-place, para os parâmetros continuarem os mesmos objetos (um otimizador os guarda).\n"
    "Pule parâmetros cujo .grad é None.\n"
    "Limpe cada gradiente depois da atualização.",
))

_add("ex06_inplace", "standardize", "building", (
    "In-place work saves memory but is safe only when autograd does not need the tensor. The "
    "same function must choose: in place for plain data, out of place when gradients flow.",
    "Trabalhar in-place economiza memória, mas só é seguro quando o autograd não precisa do "
    "tensor. A mesma função deve escolher: in-place para dados comuns, sem in-place quando há gradiente.",
), (
    "The lesson contrasts in-place and out-of-place operations and when each one breaks backward.",
    "A lição contrasta operações in-place e operações que criam tensores novos, e mostra quando cada uma quebra o backward.",
), (
    "Population std over dim 0 (correction=0); eps added to the std, not to the variance.\n"
    "x.requires_grad decides the path.\n"
    "Without grad: modify x's own memory and return x itself.\n"
    "With grad: leave x untouched.",
    "Desvio padrão populacional na dim 0 (correction=0); eps somado ao desvio, não à variância.\n"
    "x.requires_grad decide o caminho.\n"
    "Sem gradiente: altere a memória do próprio x e devolva o próprio x.\n"
    "Com gradiente: deixe x intocado.",
))

# ---------------------------------------------------------------- ex07_projects

_add("ex07_projects", "set_seed", "xor", (
    "Reproducible experiments start from the same random numbers in every library that draws "
    "them: Python, NumPy, PyTorch on the CPU and on every GPU.",
    "Experimentos reproduzíveis começam dos mesmos números aleatórios em toda biblioteca que os "
    "sorteia: Python, NumPy, PyTorch na CPU e em cada GPU.",
), (
    "The XOR lesson writes a set_seed helper before anything else and calls it at the start.",
    "A lição do XOR escreve um set_seed antes de tudo e o chama logo no começo.",
), (
    "Seed random, numpy and torch (CPU and all CUDA devices).\n"
    "Set PYTHONHASHSEED in the environment.\n"
    "Make cuDNN deterministic and turn off its benchmark mode.",
    "Fixe a semente de random, numpy e torch (CPU e todos os dispositivos CUDA).\n"
    "Defina PYTHONHASHSEED no ambiente.\n"
    "Deixe o cuDNN determinístico e desligue o modo benchmark.",
))

_add("ex07_projects", "get_device", "building", (
    "The same code should run on a GPU when there is one and on the CPU otherwise; the device "
    "is chosen once and everything is moved to it.",
    "O mesmo código deve rodar numa GPU quando houver e na CPU quando não; o dispositivo é "
    "escolhido uma vez e tudo é movido para ele.",
), (
    "The lessons pick the device with torch.cuda.is_available() before building the model.",
    "As lições escolhem o dispositivo com torch.cuda.is_available() antes de montar o modelo.",
), (
    "Try CUDA first, then MPS (Apple), then the CPU.\n"
    "Return a torch.device, not a string.",
    "Tente CUDA primeiro, depois MPS (Apple), depois a CPU.\n"
    "Devolva um torch.device, não uma string.",
))

_add("ex07_projects", "xor_loader", "xor", (
    "A DataLoader serves a data set in batches; the four XOR pairs are the smallest data set "
    "there is.",
    "Um DataLoader serve um conjunto de dados em batches; os quatro pares do XOR são o menor "
    "conjunto de dados que existe.",
), (
    "The XOR lesson builds the four pairs as tensors and wraps them in a TensorDataset and a "
    "DataLoader.",
    "A lição do XOR monta os quatro pares como tensores e os coloca num TensorDataset e num "
    "DataLoader.",
), (
    "Inputs float32 of shape (2,), targets float32 of shape (1,).\n"
    "Pass batch_size and shuffle through to the DataLoader.",
    "Entradas float32 de formato (2,), alvos float32 de formato (1,).\n"
    "Repasse batch_size e shuffle ao DataLoader.",
))

_add("ex07_projects", "sum_pairs_loader", "rede-soma", (
    "Real projects read their data from files; the sum pairs live in CSV files shipped with the "
    "kit, one for training and one for testing.",
    "Projetos reais leem os dados de arquivos; os pares da soma estão em arquivos CSV que vêm "
    "com o kit, um de treino e um de teste.",
), (
    "RedeSoma learns from pairs of numbers and their sum.",
    "A RedeSoma aprende com pares de números e a soma deles.",
), (
    "Find the files with grading.data.datasets_dir(); pick the split.\n"
    "Inputs float32 (2,), targets float32 (1,).\n"
    "Pass batch_size and shuffle through.",
    "Ache os arquivos com grading.data.datasets_dir(); escolha o split.\n"
    "Entradas float32 (2,), alvos float32 (1,).\n"
    "Repasse batch_size e shuffle.",
))

_add("ex07_projects", "mnist_datasets", "mnist", (
    "torchvision reads MNIST and applies transforms to every image: to a tensor in [0, 1], then "
    "normalized with the data set's mean and standard deviation.",
    "O torchvision lê o MNIST e aplica transformações a cada imagem: vira tensor em [0, 1] e "
    "depois é normalizada com a média e o desvio padrão do conjunto.",
), (
    "The MNIST lesson composes ToTensor and Normalize and builds the train and test sets.",
    "A lição do MNIST compõe ToTensor e Normalize e monta os conjuntos de treino e teste.",
), (
    "Use the kit's data folder and never download.\n"
    "ToTensor first, then Normalize((0.1307,), (0.3081,)).\n"
    "Return the train set and the test set, in that order.",
    "Use a pasta de dados do kit e nunca baixe nada.\n"
    "ToTensor primeiro, depois Normalize((0.1307,), (0.3081,)).\n"
    "Devolva o conjunto de treino e o de teste, nessa ordem.",
))

_add("ex07_projects", "train_sum_net", "rede-soma", (
    "The whole project in one function: data, model, loss, optimizer, epochs, until the network "
    "adds well on pairs it never saw.",
    "O projeto inteiro numa função: dados, modelo, loss, otimizador, épocas, até a rede somar "
    "bem pares que nunca viu.",
), (
    "RedeSoma trains with Adam and the mean squared error; the lesson discusses how the "
    "learning rate and the number of epochs change the result.",
    "A RedeSoma treina com Adam e o erro quadrático médio; a lição discute como a taxa de "
    "aprendizado e o número de épocas mudam o resultado.",
), (
    "Use your own pieces: SumNet, sum_pairs_loader, fit.\n"
    "MSE loss; an adaptive optimizer converges fast here.\n"
    "Aim for test MSE below 0.01 within the time limit; seed at the start.",
    "Use suas peças: SumNet, sum_pairs_loader, fit.\n"
    "Loss MSE; um otimizador adaptativo converge rápido aqui.\n"
    "Mire um MSE de teste abaixo de 0.01 dentro do tempo; fixe a semente no começo.",
))

_add("ex07_projects", "train_xor_net", "xor", (
    "Training XOR end to end: a tiny network, four samples, many epochs. It either finds the "
    "non-linear boundary or gets stuck, which makes it a good test of the loop.",
    "Treinar o XOR de ponta a ponta: uma rede mínima, quatro amostras, muitas épocas. Ou acha a "
    "fronteira não linear ou empaca, o que faz dele um bom teste do laço.",
), (
    "SimpleNet learns XOR with the MSE loss and Adam.",
    "A SimpleNet aprende o XOR com a loss MSE e o Adam.",
), (
    "Use XorNet and xor_loader; seed first.\n"
    "Each output must land on the right side of 0.5 by at least 0.3.\n"
    "If it gets stuck, try more epochs, another learning rate or more hidden units.",
    "Use XorNet e xor_loader; fixe a semente primeiro.\n"
    "Cada saída deve cair do lado certo de 0.5 com folga de pelo menos 0.3.\n"
    "Se empacar, tente mais épocas, outra taxa de aprendizado ou mais unidades ocultas.",
))

_add("ex07_projects", "train_mnist", "mnist", (
    "A real classifier: the MLP on the shipped MNIST subset, trained until it gets at least 90 % "
    "of the test digits right, fast enough for a laptop CPU.",
    "Um classificador de verdade: o MLP no subconjunto do MNIST que vem com o kit, treinado até "
    "acertar pelo menos 90 % dos dígitos de teste, rápido o bastante para a CPU de um notebook.",
), (
    "MyNet trains with SGD with momentum and CrossEntropyLoss, then predicts digits with torch.max.",
    "A MyNet treina com SGD com momentum e CrossEntropyLoss, e depois prediz dígitos com torch.max.",
), (
    "Reuse MnistMLP, mnist_datasets, fit and evaluate.\n"
    "CrossEntropyLoss on raw logits; batches of a few dozen samples.\n"
    "Return the model and a dict with test_accuracy and the per-epoch train_losses; stay under 60 s.",
    "Reaproveite MnistMLP, mnist_datasets, fit e evaluate.\n"
    "CrossEntropyLoss em logits crus; batches de algumas dezenas de amostras.\n"
    "Devolva o modelo e um dict com test_accuracy e as train_losses por época; fique abaixo de 60 s.",
))

# ---------------------------------------------------------------- ex08_regression

_add("ex08_regression", "diabetes_split", "building", (
    "Before training, hold back part of the data to measure the model honestly. The diabetes "
    "data set ships with scikit-learn, so nothing is downloaded.",
    "Antes de treinar, separe parte dos dados para medir o modelo com honestidade. O conjunto "
    "diabetes vem com o scikit-learn, então nada é baixado.",
), (
    "The lesson splits a real regression data set with scikit-learn's train_test_split and "
    "turns the arrays into tensors.",
    "A lição divide um conjunto de regressão real com o train_test_split do scikit-learn e "
    "transforma os arrays em tensores.",
), (
    "load_diabetes with return_X_y and unscaled features.\n"
    "Pass test_size and seed (as random_state) through.\n"
    "float32 tensors; targets shaped (N, 1).",
    "load_diabetes com return_X_y e atributos sem escala.\n"
    "Repasse test_size e seed (como random_state).\n"
    "Tensores float32; alvos com formato (N, 1).",
))

_add("ex08_regression", "standardize_split", "building", (
    "Features on very different scales slow gradient descent down. Standardizing fixes that, "
    "but the statistics must come from the training data alone, or the test set leaks in.",
    "Atributos em escalas muito diferentes atrasam a descida de gradiente. Padronizar resolve, "
    "mas as estatísticas devem vir só dos dados de treino; senão, informação do teste vaza para o treino.",
), (
    "The lesson normalizes with tensor operations, using the training mean and standard deviation "
    "for both parts.",
    "A lição normaliza com operações de tensor, usando média e desvio padrão do treino nas duas partes.",
), (
    "mean and population std (correction=0) over dim 0 of X_train only.\n"
    "Apply the same mean and std to X_test.\n"
    "Out of place: the inputs stay unchanged; return the mean and std too.",
    "Média e desvio padrão populacional (correction=0) na dim 0 só de X_train.\n"
    "Aplique a mesma média e o mesmo desvio a X_test.\n"
    "Sem in-place: as entradas não mudam; devolva também a média e o desvio.",
))

_add("ex08_regression", "fit_linear", "building", (
    "The same regression as before, now with PyTorch's building blocks: nn.Linear holds the "
    "weights, optim.SGD moves them, nn.MSELoss measures the error. Done right it reaches "
    "scikit-learn's exact solution.",
    "A mesma regressão de antes, agora com os blocos do PyTorch: nn.Linear guarda os pesos, "
    "optim.SGD os move, nn.MSELoss mede o erro. Bem feita, chega à solução exata do scikit-learn.",
), (
    "The lesson rewrites its low-level loop with nn and optim and compares the two side by side.",
    "A lição reescreve o laço de baixo nível com nn e optim e compara os dois lado a lado.",
), (
    "Seed before creating the layer, so the starting weights are the expected ones.\n"
    "Full batch: one step per epoch.\n"
    "Forward, loss, clear, backward, step; keep each loss from before its update.",
    "Fixe a semente antes de criar a camada, para os pesos iniciais serem os esperados.\n"
    "Batch completo: um passo por época.\n"
    "Forward, loss, limpar, backward, step; guarde cada loss de antes da atualização.",
))

_add("ex08_regression", "regression_metrics", "building", (
    "A regression is judged by several numbers: the mean squared error and its root, the mean "
    "absolute error, and R², the share of the variance the model explains.",
    "Uma regressão é julgada por vários números: o erro quadrático médio e sua raiz, o erro "
    "absoluto médio e o R², a fração da variância que o modelo explica.",
), (
    "The lesson evaluates its regression on the test set with these metrics.",
    "A lição avalia a regressão no conjunto de teste com essas métricas.",
), (
    "Predict without autograd.\n"
    "R² = 1 − (residual sum of squares) / (total sum of squares around the mean of y).\n"
    "Return plain Python floats under the keys mse, rmse, mae and r2.",
    "Preveja sem autograd.\n"
    "R² = 1 − (soma dos quadrados dos resíduos) / (soma total dos quadrados em torno da média de y).\n"
    "Devolva floats do Python nas chaves mse, rmse, mae e r2.",
))

# ---------------------------------------------------------------- ex09_lessons (optional)

_add("ex09_lessons", "XorLightning", "xor", (
    "PyTorch Lightning writes the training loop for you: the module says how to compute the "
    "loss of a batch and which optimizer to use, and a Trainer does the rest.",
    "O PyTorch Lightning escreve o laço de treino por você: o módulo diz como calcular a loss de "
    "um batch e qual otimizador usar, e um Trainer faz o resto.",
), (
    "SimpleNet is written as a LightningModule in the XOR lesson; here it gets its hidden "
    "activation back.",
    "A SimpleNet é escrita como LightningModule na lição do XOR; aqui ela recupera a ativação oculta.",
), (
    "Same layers and sigmoids as XorNet.\n"
    "training_step returns the loss with its graph: no backward, no optimizer step there.\n"
    "configure_optimizers: Adam over all parameters with the lr given to __init__.",
    "As mesmas camadas e sigmoides da XorNet.\n"
    "training_step devolve a loss com o grafo: sem backward, sem step do otimizador ali.\n"
    "configure_optimizers: Adam sobre todos os parâmetros com o lr recebido no __init__.",
))

_add("ex09_lessons", "train_with_tensorboard", "modulo4", (
    "TensorBoard draws loss curves from scalars the loop logs while it trains; what you log, "
    "at which step, decides what the curve shows.",
    "O TensorBoard desenha curvas de loss a partir dos escalares que o laço registra enquanto "
    "treina; o que você registra, e em qual passo, decide o que a curva mostra.",
), (
    "The lesson logs the training loss with a SummaryWriter and opens it in TensorBoard.",
    "A lição registra a loss de treino com um SummaryWriter e a abre no TensorBoard.",
), (
    "Per batch: the usual five moves, then log the batch loss as a float at a global step.\n"
    "Per epoch: log the mean loss per sample at the epoch index.\n"
    "Use the writer you are given and flush it before returning.",
    "Por batch: as cinco etapas de sempre, depois registre a loss do batch como float num passo global.\n"
    "Por época: registre a loss média por amostra no índice da época.\n"
    "Use o writer recebido e faça flush antes de devolver.",
))


EXPLANATIONS: dict[str, Explanation] = {e.item: e for e in _TABLE}

HINT_HEAD = Text("{item} · {module}", "{item} · {module}")
HINT_CONCEPT = Text("What it is", "O que é")
HINT_LESSON = Text("From the lessons", "Das lições")
HINT_LOOK = Text("What to look at", "Onde olhar")
UNKNOWN_ITEM = Text("no item called `{name}`.", "nenhum item chamado `{name}`.")
DID_YOU_MEAN = Text(" Did you mean: {names}?", " Você quis dizer: {names}?")
ITEMS_ARE = Text(" Items: {names}.", " Itens: {names}.")


def lookup(name: str) -> Explanation | None:
    """The entry for an item name (case-insensitive; `module.item` and `module::item` work too)."""
    key = name.replace("::", ".").split(".")[-1].strip()
    if key in EXPLANATIONS:
        return EXPLANATIONS[key]
    folded = {k.lower(): v for k, v in EXPLANATIONS.items()}
    return folded.get(key.lower())


def suggestions(name: str, n: int = 3) -> list[str]:
    key = name.replace("::", ".").split(".")[-1].strip()
    lower = {k.lower(): k for k in EXPLANATIONS}
    return [lower[m] for m in difflib.get_close_matches(key.lower(), list(lower), n=n, cutoff=0.5)]
