# SYNTAX TEST "source.python" "noqa codes inside Python comments"

x = call()  # noqa: XT001
#             ^^^^ comment.line.number-sign.python keyword.other.noqa.crosstalk
#                 ^ punctuation.separator.key-value.noqa.crosstalk
#                   ^^^^^ comment.line.number-sign.python meta.noqa.codes.crosstalk constant.other.rule-code.crosstalk
# <- source.python - comment

y = call()  # noqa: XT001, E501,XT010
#                   ^^^^^ constant.other.rule-code.crosstalk
#                        ^ punctuation.separator.sequence.noqa.crosstalk
#                          ^^^^ constant.other.rule-code.other.crosstalk - constant.other.rule-code.crosstalk
#                               ^^^^^ constant.other.rule-code.crosstalk

z = call()  # NOQA:xt030
#             ^^^^ keyword.other.noqa.crosstalk
#                  ^^^^^ constant.other.rule-code.crosstalk

bare()  # noqa
#         ^^^^ keyword.other.noqa.crosstalk

why()  # see the ticket # noqa: XT020 because the path is per run
#        ^^^^^^^^^^^^^^ comment.line.number-sign.python - keyword.other.noqa.crosstalk
#                         ^^^^ keyword.other.noqa.crosstalk
#                               ^^^^^ constant.other.rule-code.crosstalk
#                                     ^^^^^^^ comment.line.number-sign.python - meta.noqa.codes.crosstalk

# the word noqa in prose is not a directive: noqa
#          ^^^^ comment.line.number-sign.python - keyword.other.noqa.crosstalk
#                                            ^^^^ - keyword.other.noqa.crosstalk

s = "# noqa: XT001"
#      ^^^^ string.quoted.single.python - keyword.other.noqa.crosstalk
#            ^^^^^ - constant.other.rule-code.crosstalk

t = 1  # noqa: XT999
#              ^^^^^ constant.other.rule-code.crosstalk
