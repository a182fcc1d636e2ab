// pike_httpd.pike PORT IP: Pike's stock HTTP server module
// (Protocols.HTTP.Server) answering every request with a short page.
void answer(Protocols.HTTP.Server.Request r)
{
  r->response_and_finish((["data": "<html><body>svpassive test</body></html>\n",
                           "type": "text/html"]));
}

int main(int argc, array(string) argv)
{
  int port = (int)(argc > 1 ? argv[1] : "18080");
  string ip = argc > 2 ? argv[2] : "127.0.0.1";
  Protocols.HTTP.Server.Port(answer, port, ip);
  write("ready\n");
  return -1;
}
