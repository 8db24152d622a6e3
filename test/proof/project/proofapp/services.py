def clock():
    return "real"
