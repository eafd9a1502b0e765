// sg-worker entry point: parses arguments, builds the Worker and runs its loop.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("sg-worker %s\n", SG_VERSION);
    return 0;
  }
  std::fprintf(stderr, "sg-worker: not implemented yet\n");
  return 2;
}
