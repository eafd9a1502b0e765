// sg-fake-llm: placeholder until the local OpenAI-compatible server lands.
#include <cstdio>
int main() {
  std::fprintf(stderr, "sg-fake-llm: not implemented yet\n");
  return 2;
}
