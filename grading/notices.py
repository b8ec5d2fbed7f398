"""Bilingual messages for what a submission can do to the grading process itself: end it, hang
it, flood it, change PyTorch's global settings or replace the functions the grader relies on."""
from __future__ import annotations

from grading.text import Text

CRASHED = Text(
    "the grading process stopped while this check ran: {how}{where}. Your code must return "
    "normally, never end the Python process (os._exit, sys.exit in a thread, os.abort, a signal, a "
    "crash in native code); the checks after this one ran in a fresh process.",
    "o processo de avaliação parou durante esta verificação: {how}{where}. Seu código deve "
    "retornar normalmente, nunca encerrar o processo Python (os._exit, sys.exit numa thread, "
    "os.abort, um sinal, uma falha em código nativo); as verificações seguintes rodaram num processo novo.",
)
CRASHED_AT_IMPORT = Text(
    "{module}.py stopped the grading process while it was being imported: {how}{where}. At import "
    "time a module must only define functions, classes and constants.",
    "{module}.py parou o processo de avaliação enquanto era importado: {how}{where}. Ao ser "
    "importado, um módulo deve apenas definir funções, classes e constantes.",
)
EXITED = Text("the process exited with status {code}", "o processo terminou com status {code}")
KILLED = Text("the process was killed by SIGKILL (also what happens when memory runs out)",
              "o processo foi morto por SIGKILL (o que também acontece quando a memória acaba)")
ABORTED = Text("the process aborted (SIGABRT)", "o processo abortou (SIGABRT)")
SEGFAULT = Text("the process crashed with a segmentation fault (SIGSEGV)",
                "o processo caiu com uma falha de segmentação (SIGSEGV)")
SIGNALLED = Text("the process was stopped by signal {name}", "o processo foi parado pelo sinal {name}")
CHANNEL_CLOSED = Text("the process closed the grader's reporting channel", "o processo fechou o canal de relatório do avaliador")
AT = Text(" (last seen at {file}, line {line})", " (visto por último em {file}, linha {line})")

IMPORT_TIMED_OUT = Text(
    "importing {module}.py took longer than {seconds:.0f} s: code at the top level of the file (a "
    "loop, a training run) must go inside a function or under `if __name__ == \"__main__\":`.",
    "importar {module}.py levou mais de {seconds:.0f} s: código no nível de cima do arquivo (um "
    "laço, um treino) deve ficar dentro de uma função ou sob `if __name__ == \"__main__\":`.",
)
MODULE_TIMED_OUT = Text(
    "the checks of {module} used up their total time ({seconds:.0f} s) before this one finished: "
    "look for an endless loop or very slow code in the checks that timed out before it.",
    "as verificações de {module} esgotaram o tempo total ({seconds:.0f} s) antes desta terminar: "
    "procure um laço sem fim ou código muito lento nas verificações que estouraram o tempo antes dela.",
)
FLOOD = Text(
    "your code printed (or wrote to a file) more than {limit} and was stopped: remove the print "
    "calls inside loops.",
    "seu código imprimiu (ou gravou num arquivo) mais de {limit} e foi parado: tire os print de "
    "dentro dos laços.",
)
STATE_AT_IMPORT = Text(
    "importing {module}.py changed PyTorch's global settings: {what}. Code at the top level of a "
    "module must not change them; change them inside the function that needs them, and restore them.",
    "importar {module}.py mudou configurações globais do PyTorch: {what}. O código no nível de cima "
    "de um módulo não deve mudá-las; mude-as dentro da função que precisa delas, e restaure-as.",
)
TAMPERED_AT_IMPORT = Text(
    "importing {module}.py replaced {names}, which the grader relies on. A submission must not "
    "modify torch, numpy, pytest or the grader.",
    "importar {module}.py substituiu {names}, de que o avaliador depende. Uma entrega não deve "
    "modificar torch, numpy, pytest nem o avaliador.",
)
TAMPERED = Text(
    "your code replaced {names} while this check ran; those belong to torch, numpy, pytest or the "
    "grader and must not be modified.",
    "seu código substituiu {names} durante esta verificação; isso pertence ao torch, numpy, pytest "
    "ou ao avaliador e não deve ser modificado.",
)
TAMPERED_PUT_BACK = Text(
    "your code replaced something in {names} while this check ran and put it back before the check "
    "ended; those belong to torch, numpy, pytest, the grader or the checks and must not be modified.",
    "seu código substituiu algo em {names} durante esta verificação e o devolveu antes do fim dela; "
    "isso pertence ao torch, numpy, pytest, ao avaliador ou às verificações e não deve ser modificado.",
)
OUTCOME_FROM_STUDENT = Text(
    "your code called {call} at {file}, line {line}: a submission cannot skip, pass or fail a check itself.",
    "seu código chamou {call} em {file}, linha {line}: uma entrega não pode pular, aprovar nem reprovar uma verificação.",
)
NO_VERDICT = Text(
    "the check ended without a verdict ({why}).",
    "a verificação terminou sem veredito ({why}).",
)
PROTOCOL = Text(
    "the grading process sent a report the grader cannot accept ({why}): something wrote into the "
    "grader's reporting channel.",
    "o processo de avaliação enviou um relatório que o avaliador não aceita ({why}): algo escreveu no "
    "canal de relatório do avaliador.",
)
