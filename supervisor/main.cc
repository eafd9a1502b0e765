// sg-supervisor entry point: parses arguments, builds the Supervisor and runs its loop.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("sg-supervisor %s\n", SG_VERSION);
    return 0;
  }
  std::fprintf(stderr, "sg-supervisor: not implemented yet\n");
  return 2;
}
