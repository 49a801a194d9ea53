#!/usr/bin/env python3
"""Writes the deep-nesting seeds of the fuzz targets: one file per kind of nesting C, C++ and
the preprocessor allow, each 2,000 levels deep inside a Windows function that holds
Winsock calls (so that the pre-filter passes it and every rule runs on it), closed and left
unclosed. Usage: fuzz/seeds.py [DIR] (default fuzz/seeds, which git ignores)."""

import os
import sys

HEAD = (
    "#include <winsock2.h>\n"
    "void f(SOCKET s, struct t *x, int p) {\n"
    '  HMODULE h = LoadLibraryA("iphlpapi.dll"); FreeLibrary(h);\n'
)
TAIL = "\n  closesocket(s);\n}\n"
LEAK = 'void g(void) { HMODULE h = LoadLibraryA("iphlpapi.dll"); FreeLibrary(h); }\n'
# Levels of nesting: the query's depth limit. The largest seed (80 KB) stays under libFuzzer's
# -max_len (see README).
DEPTH = 2_000


def depth(*units):
    """Levels of nesting for a kind made of `units`: the same for every kind."""
    return DEPTH


def nest(open_, close, inner="closesocket(s);"):
    n = depth(open_, close)
    return open_ * n + inner + close * n


def chain(unit, sep, before="", after=""):
    n = depth(unit, sep)
    return before + sep.join([unit] * n) + after


def in_function(body):
    return HEAD + body + TAIL


def seeds():
    n = depth
    yield "braces.c", in_function(nest("{", "}"))
    yield "parens.c", in_function("if (" + nest("(", ")", "s == -1") + ") closesocket(s);")
    yield "ifs.c", in_function(nest("if (p) ", ""))
    yield "ifs-braced.c", in_function(nest("if (p) { ", " }"))
    yield "else-if.c", in_function(
        "if (p == 0) closesocket(s);"
        + "".join(f" else if (p == {i}) closesocket(s);" for i in range(1, n(" else if (p == 1000) closesocket(s);")))
    )
    yield "if-else.c", in_function(nest("if (p) closesocket(s); else { ", " }"))
    yield "switch.c", in_function("switch (p) { " + nest("case 0: switch (p) { ", " }") + " }")
    yield "whiles.c", in_function(nest("while (p) ", ""))
    yield "fors.c", in_function(nest("for (;;) { ", " }"))
    yield "do.c", in_function(nest("do { ", " } while (p);"))
    yield "arrow.c", in_function("closesocket(x" + "->a" * n("->a") + ");")
    yield "dots.c", in_function("closesocket(x" + ".a" * n(".a") + ");")
    yield "text.c", in_function(
        "h = LoadLibrary(" + nest("TEXT(", ")", '"iphlpapi.dll"') + ");"
    )
    yield "casts.c", in_function("closesocket(" + "(SOCKET)" * n("(SOCKET)") + "s);")
    yield "ternary.c", in_function("s = " + "p ? s : " * n("p ? s : ") + "s;")
    yield "calls.c", in_function("closesocket(" + nest("g(", ")", "s") + ");")
    yield "wsa-calls.c", in_function(nest("send(s, ", ", 0, 0)", "buf") + ";")
    yield "not.c", in_function("if (" + "!" * n("!") + "s) closesocket(s);")
    yield "addr.c", in_function("closesocket(" + "*&" * n("*&") + "s);")
    yield "subscript.c", in_function("closesocket(" + nest("a[", "]", "0") + ");")
    yield "and.c", in_function(chain("p", " && ", "while (", ") closesocket(s);"))
    yield "plus.c", in_function(chain("s", " + ", "closesocket(", ");"))
    yield "comma.c", in_function(chain("s", ", ", "closesocket((", "));"))
    yield "assign.c", in_function("s = " * n("s = ") + "socket(AF_INET, SOCK_STREAM, 0);")
    yield "sizeof.c", in_function("p = " + nest("sizeof(", ")", "s") + ";")
    yield "init.c", in_function("int v = " + nest("{", "}", "0") + ";")
    yield "init-list.c", in_function(
        "struct sockaddr_in a[] = { " + chain("{ AF_INET, 0 }", ", ") + " };"
    )
    yield "compound.c", in_function("closesocket(" + nest("((SOCKET){", "})", "s") + ");")
    yield "stmt-expr.c", in_function("s = " + nest("({ ", "; })", "s") + ";")
    yield "labels.c", in_function("".join(f"l{i}: " for i in range(n("l1000: "))) + "closesocket(s);")
    yield "goto.c", in_function(chain("goto e", "; ", "", "; e: closesocket(s);"))
    yield "strings.c", in_function('h = LoadLibraryA("ip" ' + '"a" ' * n('"a" ') + '"hlpapi.dll");')
    yield "declarator.c", HEAD + "int " + nest("(*", ")(void)", "fp") + ";" + TAIL
    yield "pointers.c", HEAD + "SOCKET " + "*" * n("*") + "ps;" + TAIL
    yield "arrays.c", HEAD + "SOCKET ss" + "[1]" * n("[1]") + ";" + TAIL
    yield "struct.c", nest("struct a { ", " };", "SOCKET s;") + "\n" + LEAK
    yield "union.c", nest("union a { ", " } u;", "SOCKET s;") + "\n" + LEAK
    yield "enum-in-struct.c", nest("struct a { enum { A", " } e; ", "") + "\n" + LEAK
    yield "pp-ifdef.c", "#include <winsock2.h>\n" + nest("#ifdef _WIN32\n", "#endif\n", LEAK)
    yield "pp-if-else.c", "#include <winsock2.h>\n" + nest(
        "#if defined(_WIN32)\nint a;\n#else\n", "#endif\n", LEAK
    )
    yield "pp-elif.c", "#include <winsock2.h>\n#if A\nint a;\n" + "#elif B\nint b;\n" * n(
        "#elif B\nint b;\n"
    ) + "#else\n" + LEAK + "#endif\n"
    yield "pp-parens.c", "#if " + nest("(", ")", "defined(_WIN32)") + "\n" + LEAK + "#endif\n"
    yield "pp-and.c", chain("defined(_WIN32)", " && ", "#if ", "\n") + LEAK + "#endif\n"
    yield "pp-in-function.c", in_function(nest("\n#ifdef _WIN32\n{", "}\n#endif\n"))
    yield "pp-unclosed.c", "#include <winsock2.h>\n" + "#if 1\n" * n("#if 1\n") + LEAK
    yield "pp-renames.c", "#include <winsock2.h>\n#define c0 closesocket\n" + "".join(
        f"#define c{i + 1} c{i}\n" for i in range(n("#define c1000 c999\n"))
    ) + f"void g(SOCKET s) {{ c{n('#define c1000 c999')} (s); }}\n"
    yield "pp-fn-renames.c", "#include <winsock2.h>\n#define c0(x) closesocket(x)\n" + "".join(
        f"#define c{i + 1}(x) c{i}(x)\n" for i in range(n("#define c1000(x) c999(x)\n"))
    ) + f"void g(SOCKET s) {{ c{n('#define c1000(x) c999(x)')}(s); }}\n"
    yield "pp-self-rename.c", "#include <winsock2.h>\n#define a b\n#define b a\n" + LEAK
    yield "typedefs.c", "#include <winsock2.h>\ntypedef SOCKET t0;\n" + "".join(
        f"typedef t{i} t{i + 1};\n" for i in range(n("typedef t999 t1000;\n"))
    ) + f"void g(void) {{ t{n('typedef t999 t1000;')} s = socket(AF_INET, SOCK_STREAM, 0); }}\n"
    yield "continuations.c", "#include <winsock2.h>\n#define M(s) \\\n" + "  closesocket(s); \\\n" * n(
        "  closesocket(s); \\\n"
    ) + "\n" + LEAK
    yield "comments.c", in_function("/* " * n("/* ") + "*/ closesocket(s);")
    yield "unclosed-braces.c", HEAD + "{ (" * n("{ (")
    yield "unclosed-parens.c", HEAD + "closesocket(" * n("closesocket(")
    yield "unclosed-ifs.c", HEAD + "if (p) { " * n("if (p) { ")
    # C++
    yield "namespaces.cpp", nest("namespace a { ", "}", LEAK)
    yield "lambdas.cpp", LEAK + "void h(SOCKET s) { auto l = " + nest(
        "[&]() { return ", " };", "closesocket(s);"
    ) + " }\n"
    yield "classes.cpp", nest("class A { public: ", " };", "SOCKET s; ~A() { closesocket(s); }") + "\n" + LEAK
    yield "templates.cpp", "#include <winsock2.h>\n" + nest("std::vector<", ">", "SOCKET") + " v;\n" + LEAK
    yield "scopes.cpp", in_function("::" + "a::" * n("a::") + "closesocket(s);")
    yield "extern-c.cpp", nest('extern "C" { ', "}", LEAK)
    yield "try.cpp", in_function(nest("try { ", " } catch (...) { closesocket(s); }"))
    yield "static-cast.cpp", in_function("closesocket(" + nest("static_cast<SOCKET>(", ")", "s") + ");")
    yield "new.cpp", in_function("auto q = " + "new " * n("new ") + "int;")
    yield "braced-init.cpp", in_function("std::vector<int> v" + nest("{", "}", "0") + ";")
    yield "operators.cpp", in_function(chain("s", " << ", "std::cout << ", ";"))
    yield "range-for.cpp", in_function(nest("for (auto &e : v) { ", " }"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds")
    os.makedirs(out, exist_ok=True)
    for name, text in seeds():
        data = text.encode()
        assert len(data) <= 131_072, (name, len(data))
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(list(seeds()))} seeds in {out}")


if __name__ == "__main__":
    main()
