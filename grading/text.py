"""Bilingual student-facing text: every word a student reads exists in English and pt-BR."""
from __future__ import annotations

import os
from dataclasses import dataclass

LANGS = ("en", "pt-BR")


@dataclass(frozen=True)
class Text:
    """One message in both languages.

    `format` fills the same fields in both, with str.format's rules (format specs included); a
    field that is itself a Text gives each language its own words, so messages compose:
    `NOT_MOVED.format(what=BATCH_PART["inputs"])` fills "inputs" in English, "as entradas" in
    Portuguese. `+` and `join` put Texts together language by language."""

    en: str
    pt: str

    def format(self, **fields) -> "Text":
        en = {k: v.en if isinstance(v, Text) else v for k, v in fields.items()}
        pt = {k: v.pt if isinstance(v, Text) else v for k, v in fields.items()}
        return Text(self.en.format(**en), self.pt.format(**pt))

    def __add__(self, other: "Text") -> "Text":
        return Text(self.en + other.en, self.pt + other.pt)

    def join(self, texts) -> "Text":
        """The texts one after the other with this Text between them, like str.join."""
        texts = list(texts)
        return Text(self.en.join(t.en for t in texts), self.pt.join(t.pt for t in texts))

    def get(self, lang: str) -> str:
        return self.pt if lang == "pt-BR" else self.en

    def as_dict(self) -> dict:
        return {"en": self.en, "pt-BR": self.pt}


def default_lang(env=os.environ) -> str:
    """TOCHA_LANG wins; else a LANG starting with 'pt' means pt-BR; else English."""
    chosen = env.get("TOCHA_LANG", "").strip()
    if chosen:
        return "pt-BR" if chosen.lower().startswith("pt") else "en"
    return "pt-BR" if env.get("LANG", "").lower().startswith("pt") else "en"


STATUS = {
    "passed": Text("passed", "ok"),
    "failed": Text("failed", "falhou"),
    "not started": Text("not started", "não iniciado"),
    "timed out": Text("timed out", "tempo esgotado"),
    "error": Text("error", "erro"),
    "skipped": Text("skipped", "pulado"),
    "cheated": Text("cheated", "trapaça"),
}



def tag(status: str, lang: str) -> str:
    """The status as the tag that opens a failure's text: `[failed]`, `[falhou]`."""
    return f"[{STATUS[status].get(lang) if status in STATUS else status}]"


NOT_STARTED = Text(
    "`{name}` still raises NotImplementedError: replace the TODO in {file} with your code.",
    "`{name}` ainda lança NotImplementedError: troque o TODO em {file} pelo seu código.",
)
MISSING_MODULE = Text(
    "module {module}.py was not found in {root}.",
    "o módulo {module}.py não foi encontrado em {root}.",
)
IMPORT_FAILED = Text(
    "{module}.py could not be imported: {error}. Fix it so the file runs from top to bottom.",
    "{module}.py não pôde ser importado: {error}. Corrija para que o arquivo rode de cima a baixo.",
)
MISSING_NAME = Text(
    "`{name}` is not defined in {module}.py. Keep the name the exercise asks for.",
    "`{name}` não está definido em {module}.py. Mantenha o nome pedido no exercício.",
)
RAISED = Text(
    "your code raised {error}{where}.",
    "seu código lançou {error}{where}.",
)
RAISED_AT = Text(" at {file}, line {line}", " em {file}, linha {line}")
TIMED_OUT = Text(
    "took longer than {seconds:.0f} s: look for an endless loop or far too many epochs.",
    "levou mais de {seconds:.0f} s: procure um laço sem fim ou épocas demais.",
)
TIMED_OUT_IN = Text(
    "took longer than {seconds:.0f} s, still running `{name}` ({file}, line {line}): look for an endless "
    "loop or far too many epochs there.",
    "levou mais de {seconds:.0f} s, ainda executando `{name}` ({file}, linha {line}): procure ali um laço "
    "sem fim ou épocas demais.",
)
HUNG_AGAIN = Text(
    "`{name}` ({file}) did not return within {seconds:g} s. It already hung in {check}, where it had "
    "{first:.0f} s, so each later call of it gets only a short time: look for an endless loop in `{name}`.",
    "`{name}` ({file}) não retornou em {seconds:g} s. Já tinha travado em {check}, onde teve {first:.0f} s, "
    "então cada chamada seguinte recebe só um tempo curto: procure um laço sem fim em `{name}`.",
)
# The parts of a batch and where one arrived without .to(device): the training checks' spies and
# engine/outcome.py (PyTorch's device-mismatch error) name them alike.
BATCH_PART = {"inputs": Text("inputs", "as entradas"), "targets": Text("targets", "os alvos")}
REACHED = {"model": Text("the model", "ao modelo"), "loss": Text("the loss function", "à função de loss")}
SEED_NOTE = Text(" (seed {seed})", " (semente {seed})")
TITLE_LINE = Text("graded: {impl} · device: {device} · language: {lang}",
                  "avaliado: {impl} · dispositivo: {device} · idioma: {lang}")
