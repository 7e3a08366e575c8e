/*
 * Test helper: writes raw interleaved CMYK bytes as a 4-component JPEG with libjpeg, in a colour
 * space PIL cannot write: `ycck` (libjpeg's YCCK transform, Adobe marker with transform 2) or
 * `cmyk-bare` (CMYK without an Adobe marker). Usage: write-cmyk-jpeg WIDTH HEIGHT IN.raw OUT.jpg MODE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  int width = atoi(argv[1]), height = atoi(argv[2]);
  size_t size = (size_t)width * height * 4;
  unsigned char* pixels = (unsigned char*)malloc(size);
  FILE* in = fopen(argv[3], "rb");
  if (!in || fread(pixels, 1, size, in) != size) return 3;
  fclose(in);
  FILE* out = fopen(argv[4], "wb");
  if (!out) return 4;
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, out);
  c.image_width = width;
  c.image_height = height;
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  if (strcmp(argv[5], "ycck") == 0) {
    jpeg_set_colorspace(&c, JCS_YCCK);
  } else if (strcmp(argv[5], "cmyk-bare") == 0) {
    jpeg_set_colorspace(&c, JCS_CMYK);
    c.write_Adobe_marker = FALSE;
  } else {
    return 5;
  }
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = pixels + (size_t)c.next_scanline * width * 4;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  fclose(out);
  free(pixels);
  return 0;
}
